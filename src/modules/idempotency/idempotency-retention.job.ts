import { Inject, Injectable } from '@nestjs/common';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';
import { IdempotencyService } from './idempotency.service.js';

/** Deletes idempotency keys older than 24 h (they are ignored from then on anyway). */
@Injectable()
@Scheduled({ name: 'idempotency-retention', everyMs: 60 * 60 * 1000 })
export class IdempotencyRetentionJob implements ScheduledJob {
  constructor(@Inject(IdempotencyService) private readonly keys: IdempotencyService) {}

  async run(): Promise<void> {
    await this.keys.purgeExpired();
  }
}
