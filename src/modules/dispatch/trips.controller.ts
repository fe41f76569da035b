import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonOk, ApiProblem, ApiZodQuery } from '../../common/http/openapi.js';
import { page, paginationQuery, type PaginationQuery, pageMetaSchema } from '../../common/http/pagination.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { FleetDrivers } from '../fleet/fleet-drivers.js';
import { dispatchJobs } from './dispatch.tables.js';

/** Jobs that got a driver: what a vehicle "served". */
const SERVED = ['ASSIGNED', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const;

const tripSchema = z
  .object({
    orderId: z.uuid(),
    tenant: z.string(),
    kind: z.string(),
    status: z.string().describe('ASSIGNED, PICKED_UP, DELIVERED, or CANCELLED after assignment'),
    assignedAt: z.string().nullable(),
    pickedUpAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    distanceKm: z.number().describe('Length of the recorded trail while serving the order'),
  })
  .meta({ id: 'Trip' });
const tripsPage = z.object({
  data: z.array(tripSchema),
  meta: pageMetaSchema,
});

const iso = (value: Date | null) => (value ? value.toISOString() : null);

@ApiTags('fleet')
@Controller('vehicles')
export class TripsController {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(FleetDrivers) private readonly fleet: FleetDrivers,
  ) {}

  @Get(':id/trips')
  @Roles('DRIVER', 'ADMIN')
  @ApiOperation({ summary: 'The orders a vehicle served, newest first (its driver, ADMIN)' })
  @ApiUuidParam()
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(tripsPage)
  @ApiProblem(404, "No such vehicle, or someone else's")
  async trips(
    @CurrentActor() actor: Actor,
    @Param('id', uuidParam()) id: string,
    @Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery,
  ) {
    return this.control.transaction(async (tx) => {
      // An ADMIN sees any vehicle's trips, a DRIVER only their own vehicles'.
      const vehicle = await this.fleet.findVehicle(tx, id, actor.role === 'ADMIN' ? undefined : actor.id);
      if (!vehicle) throw new ProblemException(problem(404, `You have no vehicle ${id}.`));
      const where = and(eq(dispatchJobs.vehicleId, id), inArray(dispatchJobs.status, [...SERVED]));
      const rows = await tx
        .select()
        .from(dispatchJobs)
        .where(where)
        .orderBy(desc(dispatchJobs.assignedAt), desc(dispatchJobs.id))
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page);
      const [total] = await tx.select({ n: count() }).from(dispatchJobs).where(where);
      return page(
        rows.map((job) => ({
          orderId: job.orderId,
          tenant: job.tenant,
          kind: job.kind,
          status: job.status,
          assignedAt: iso(job.assignedAt),
          pickedUpAt: iso(job.pickedUpAt),
          finishedAt: iso(job.finishedAt),
          distanceKm: Math.round(job.distanceM) / 1000,
        })),
        query,
        Number(total?.n ?? 0),
      );
    });
  }
}
