import { Module } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { IdempotencyStore } from './idempotency-store.js';
import { TypeOrmIdempotencyStore } from './typeorm-idempotency.store.js';

/** Idempotency keys: import it into a module whose controller has `@Idempotent()` routes. */
@Module({
  providers: [
    { provide: IdempotencyStore, useClass: TypeOrmIdempotencyStore },
    IdempotencyInterceptor,
  ],
  exports: [IdempotencyStore, IdempotencyInterceptor],
})
export class IdempotencyModule {}
