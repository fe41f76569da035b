// Dispatch, in the control database: drivers are platform-wide, so "a driver holds at most one active
// job" can only be enforced where every job lives. Orders stay in their tenant's database; a job
// names its order by (tenant, order id).
import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { drivers, vehicles } from '../fleet/fleet.tables.js';

export const JOB_STATUSES = [
  'SEARCHING',
  'OFFERED',
  'ASSIGNED',
  'PICKED_UP',
  'DELIVERED',
  'FAILED',
  'CANCELLED',
] as const;
export const OFFER_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'CLOSED'] as const;

const list = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

/** One order looking for (or served by) a driver. */
export const dispatchJobs = pgTable(
  'dispatch_jobs',
  {
    id: uuid('id').primaryKey(),
    tenant: text('tenant').notNull(),
    orderId: uuid('order_id').notNull(),
    kind: text('kind').notNull(),
    /** For rides: the class the vehicle must be; null for deliveries (any delivery class). */
    rideClass: text('ride_class'),
    pickupLat: doublePrecision('pickup_lat').notNull(),
    pickupLng: doublePrecision('pickup_lng').notNull(),
    dropoffLat: doublePrecision('dropoff_lat').notNull(),
    dropoffLng: doublePrecision('dropoff_lng').notNull(),
    status: text('status').notNull().default('SEARCHING'),
    /** Search rounds that found nobody so far. */
    attempts: integer('attempts').notNull().default(0),
    /** Due time of the next search round (DESIGN §6: a row with a due time, never a timer). */
    nextSearchAt: timestamp('next_search_at', { withTimezone: true }),
    driverId: uuid('driver_id').references(() => drivers.id),
    vehicleId: uuid('vehicle_id').references(() => vehicles.id),
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    pickedUpAt: timestamp('picked_up_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Length of the recorded trail while the job was active, in metres. */
    distanceM: doublePrecision('distance_m').notNull().default(0),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('dispatch_jobs_order_idx').on(table.tenant, table.orderId),
    // A driver holds at most one active job: the database refuses a second assignment.
    uniqueIndex('dispatch_jobs_active_driver_idx')
      .on(table.driverId)
      .where(sql`${table.status} in ('ASSIGNED', 'PICKED_UP')`),
    index('dispatch_jobs_due_idx')
      .on(table.nextSearchAt)
      .where(sql`${table.status} = 'SEARCHING'`),
    index('dispatch_jobs_vehicle_idx').on(table.vehicleId, table.createdAt),
    check('dispatch_jobs_status_check', sql`${table.status} in (${list(JOB_STATUSES)})`),
    check(
      'dispatch_jobs_driver_check',
      sql`${table.status} not in ('ASSIGNED', 'PICKED_UP', 'DELIVERED') or ${table.driverId} is not null`,
    ),
  ],
);

/** An offer of a job to one driver, open until `expires_at`. Each driver is offered a job once. */
export const dispatchOffers = pgTable(
  'dispatch_offers',
  {
    id: uuid('id').primaryKey(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => dispatchJobs.id, { onDelete: 'cascade' }),
    driverId: uuid('driver_id')
      .notNull()
      .references(() => drivers.id),
    status: text('status').notNull().default('PENDING'),
    distanceKm: doublePrecision('distance_km').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('dispatch_offers_job_driver_idx').on(table.jobId, table.driverId),
    // One open offer per job at a time, and per driver at a time.
    uniqueIndex('dispatch_offers_open_job_idx')
      .on(table.jobId)
      .where(sql`${table.status} = 'PENDING'`),
    uniqueIndex('dispatch_offers_open_driver_idx')
      .on(table.driverId)
      .where(sql`${table.status} = 'PENDING'`),
    index('dispatch_offers_due_idx')
      .on(table.expiresAt)
      .where(sql`${table.status} = 'PENDING'`),
    check('dispatch_offers_status_check', sql`${table.status} in (${list(OFFER_STATUSES)})`),
  ],
);

/** The path a driver drove while serving a job. */
export const jobTrail = pgTable(
  'job_trail',
  {
    jobId: uuid('job_id')
      .notNull()
      .references(() => dispatchJobs.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull(),
    lat: doublePrecision('lat').notNull(),
    lng: doublePrecision('lng').notNull(),
  },
  (table) => [primaryKey({ columns: [table.jobId, table.at] })],
);
