import { Inject, Injectable } from '@nestjs/common';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';
import { DispatchService } from './dispatch.service.js';

/** Offers past their due time expire (the job moves to the next driver); due search rounds run. */
@Injectable()
@Scheduled({ name: 'dispatch-due', everyMs: (env) => env.DISPATCH_TICK_MS })
export class DispatchDueJob implements ScheduledJob {
  constructor(@Inject(DispatchService) private readonly dispatch: DispatchService) {}

  run(): Promise<void> {
    return this.dispatch.runDue();
  }
}
