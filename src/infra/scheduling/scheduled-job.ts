import { SetMetadata } from '@nestjs/common';
import type { Env } from '../../config/env.schema.js';

export const SCHEDULED_JOB_METADATA = 'ordo:scheduled-job';

export interface ScheduledJobOptions {
  name: string;
  /** A fixed interval, or one read from the validated environment. */
  everyMs: number | ((env: Env) => number);
}

/** Time-based work run by the scheduler role's leader: due rows are claimed in SQL, never kept in timers. */
export interface ScheduledJob {
  run(): Promise<void>;
}

export const Scheduled = (options: ScheduledJobOptions): ClassDecorator => SetMetadata(SCHEDULED_JOB_METADATA, options);
