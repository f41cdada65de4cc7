import { Module } from '@nestjs/common';
import { AuditStore } from './audit-store.js';
import { AuditTrail } from './audit-trail.js';
import { AuditService } from './audit.service.js';
import { TypeOrmAuditStore } from './typeorm-audit.store.js';

/** The trail without HTTP: for the service's module and the CLI's `audit` command. */
@Module({
  providers: [{ provide: AuditStore, useClass: TypeOrmAuditStore }, AuditTrail, AuditService],
  exports: [AuditStore, AuditTrail, AuditService],
})
export class AuditStoreModule {}
