import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditRetention } from './audit-retention.js';
import { AuditStoreModule } from './audit-store.module.js';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';

/**
 * The audit trail: every `@Audited` route's requests recorded, refused ones too (the API key
 * guard takes `AuditTrail` from here), `GET /audit`, and the pruning past AUDIT_RETENTION_DAYS.
 */
@Global()
@Module({
  imports: [AuditStoreModule],
  controllers: [AuditController],
  providers: [AuditRetention, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [AuditStoreModule],
})
export class AuditModule {}
