import { Module } from '@nestjs/common';
import { IdempotencyRetentionJob } from './idempotency-retention.job.js';
import { IdempotencyService } from './idempotency.service.js';

/** `Idempotency-Key` handling for unsafe operations (orders now; refunds later). */
@Module({ providers: [IdempotencyService, IdempotencyRetentionJob], exports: [IdempotencyService] })
export class IdempotencyModule {}
