import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { Logger } from 'pino';
import { ENV } from '../config/config.module.js';
import type { Env } from '../config/env.schema.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../infra/database/sql-database.js';
import { withSqlOrigin } from '../infra/database/sql-origin.js';
import { LOGGER } from '../infra/logging/logger.js';
import { leaderLockFor, type LeaderLock } from '../infra/scheduling/leader-lock.js';
import {
  SCHEDULED_JOB_METADATA,
  type ScheduledJob,
  type ScheduledJobOptions,
} from '../infra/scheduling/scheduled-job.js';

const LEADER_CHECK_MS = 2_000;

/**
 * The scheduler role. Any number may run; only the leader (advisory lock) runs jobs, each on its own
 * interval and never overlapping itself. Jobs claim due rows in SQL, so a change of leader loses nothing.
 */
@Injectable()
export class SchedulerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly lock: LeaderLock;
  /** Unknown until the first check, so every scheduler logs whether it starts as leader or follower. */
  private leader: boolean | undefined;
  private stopped = false;

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(CONTROL_DATABASE) control: SqlDatabase,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.lock = leaderLockFor(control, env.DATABASE_URL);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.checkLeadership();
    this.timers.push(setInterval(() => void this.checkLeadership(), LEADER_CHECK_MS));
    for (const { job, options } of this.jobs()) {
      let busy = false;
      this.timers.push(
        setInterval(
          () => {
            if (busy || !this.leader || this.stopped) return;
            busy = true;
            const run = withSqlOrigin(`job:${options.name}`, () => job.run())
              .catch((error: unknown) => this.log.error({ err: error, job: options.name }, 'scheduled job failed'))
              .finally(() => {
                busy = false;
                this.running.delete(run);
              });
            this.running.add(run);
          },
          typeof options.everyMs === 'function' ? options.everyMs(this.env) : options.everyMs,
        ),
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
    await this.lock.release();
  }

  private async checkLeadership(): Promise<void> {
    if (this.stopped) return;
    const leader = await this.lock.acquire();
    if (leader !== this.leader)
      this.log.info({ leader }, leader ? 'scheduler became leader' : 'scheduler is a follower');
    this.leader = leader;
  }

  private jobs(): { job: ScheduledJob; options: ScheduledJobOptions }[] {
    const found: { job: ScheduledJob; options: ScheduledJobOptions }[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      const metatype = wrapper.metatype;
      if (!instance || !metatype) continue;
      const options = this.reflector.get<ScheduledJobOptions | undefined>(SCHEDULED_JOB_METADATA, metatype);
      if (options) found.push({ job: instance as ScheduledJob, options });
    }
    return found;
  }
}
