import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { newId } from '../../common/ids.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { ProbeRequested } from './probe.events.js';
import { busProbes } from './probes.tables.js';

export type Probe = typeof busProbes.$inferSelect;

@Injectable()
export class ProbesService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
  ) {}

  /** Stores a probe and emits `probe.requested` in the same transaction. */
  create(input: { delayMs: number; fail: boolean }): Promise<Probe> {
    return this.unitOfWork.run(this.control, async (tx, emit) => {
      const [probe] = await tx
        .insert(busProbes)
        .values({ id: newId(), delayMs: input.delayMs, fail: input.fail })
        .returning();
      await emit(ProbeRequested, { aggregateId: probe!.id, payload: input });
      return probe!;
    });
  }

  async find(id: string): Promise<Probe | undefined> {
    const [probe] = await this.control.transaction((tx) => tx.select().from(busProbes).where(eq(busProbes.id, id)));
    return probe;
  }
}
