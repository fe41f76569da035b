import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { haversineKm } from '../../infra/geo/geo-math.js';
import { dispatchJobs, jobTrail } from './dispatch.tables.js';

export interface ActiveJob {
  jobId: string;
  tenant: string;
  orderId: string;
  status: 'ASSIGNED' | 'PICKED_UP';
}

export interface TrailPoint {
  lat: number;
  lng: number;
  at: Date;
}

/**
 * The job a driver is serving right now (assigned or picked up), and its trail. Position updates
 * (the tracking module) use it to record the path and to tell who is watching the order.
 */
@Injectable()
export class ActiveJobs {
  constructor(@Inject(CONTROL_DATABASE) private readonly control: SqlDatabase) {}

  async of(driverId: string): Promise<ActiveJob | undefined> {
    const [job] = await this.control.transaction((tx) =>
      tx
        .select({
          jobId: dispatchJobs.id,
          tenant: dispatchJobs.tenant,
          orderId: dispatchJobs.orderId,
          status: dispatchJobs.status,
        })
        .from(dispatchJobs)
        .where(and(eq(dispatchJobs.driverId, driverId), inArray(dispatchJobs.status, ['ASSIGNED', 'PICKED_UP']))),
    );
    return job as ActiveJob | undefined;
  }

  /**
   * Appends points to the job's trail (a point already recorded for that instant is skipped) and adds
   * the distance they cover to the job's total, from its last recorded point on.
   */
  async recordTrail(jobId: string, points: readonly TrailPoint[]): Promise<void> {
    if (points.length === 0) return;
    const sorted = [...points].sort((a, b) => a.at.getTime() - b.at.getTime());
    await this.control.transaction(async (tx) => {
      // Lock the job so two batches from the same driver add their distance one after the other.
      await tx.select({ id: dispatchJobs.id }).from(dispatchJobs).where(eq(dispatchJobs.id, jobId)).for('update');
      const [last] = await tx
        .select()
        .from(jobTrail)
        .where(eq(jobTrail.jobId, jobId))
        .orderBy(desc(jobTrail.at))
        .limit(1);
      const fresh = last ? sorted.filter((point) => point.at > last.at) : sorted;
      if (fresh.length === 0) return;
      let metres = 0;
      let previous: { lat: number; lng: number } | undefined = last;
      for (const point of fresh) {
        if (previous) metres += haversineKm(previous, point) * 1000;
        previous = point;
      }
      await tx
        .insert(jobTrail)
        .values(fresh.map((point) => ({ jobId, at: point.at, lat: point.lat, lng: point.lng })))
        .onConflictDoNothing();
      await tx
        .update(dispatchJobs)
        .set({ distanceM: sql`${dispatchJobs.distanceM} + ${metres}`, updatedAt: sql`now()` })
        .where(eq(dispatchJobs.id, jobId));
    });
  }

  async trail(jobId: string): Promise<TrailPoint[]> {
    return this.control.transaction((tx) =>
      tx
        .select({ lat: jobTrail.lat, lng: jobTrail.lng, at: jobTrail.at })
        .from(jobTrail)
        .where(eq(jobTrail.jobId, jobId))
        .orderBy(asc(jobTrail.at)),
    );
  }
}
