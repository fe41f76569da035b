// The shared fleet (DESIGN §1, §5, §8), in the control database: vendors (fleet operators), their
// drivers and the drivers' vehicles. Drivers and vehicles point at each other (the active vehicle),
// so the three tables live in one file.
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { users } from '../users/users.tables.js';

// Kept literal here (drizzle-kit loads this file on its own); fleet-states.ts and vehicle-classes.ts
// re-export them with their meaning.
export const VENDOR_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export const DRIVER_STATUSES = ['PENDING', 'VERIFIED', 'REJECTED'] as const;
export const VEHICLE_STATUSES = ['SUBMITTED', 'VERIFIED', 'REJECTED', 'SUSPENDED'] as const;
export const VEHICLE_CLASSES = ['BIKE', 'CAR', 'VAN', 'ECONOMY', 'COMFORT', 'XL'] as const;

/** Fleet operators. Organisations without logins for now: ADMINs manage them. */
export const vendors = pgTable(
  'vendors',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    contactEmail: text('contact_email').notNull(),
    contactPhone: text('contact_phone'),
    status: text('status', { enum: VENDOR_STATUSES }).notNull().default('ACTIVE'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('vendors_name_idx').on(table.name, table.id),
    check('vendors_status_check', sql`${table.status} in ('ACTIVE', 'SUSPENDED')`),
  ],
);

/** A user who drives for a vendor: one row per user, made when a CUSTOMER registers as a DRIVER. */
export const drivers = pgTable(
  'drivers',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    vendorId: uuid('vendor_id')
      .notNull()
      .references(() => vendors.id),
    licenceNumber: text('licence_number').notNull(),
    licenceClass: text('licence_class').notNull(),
    /** Valid through this day (UTC). */
    licenceExpiry: date('licence_expiry', { mode: 'string' }).notNull(),
    phone: text('phone').notNull(),
    /** The licence's verification by an ADMIN. */
    status: text('status', { enum: DRIVER_STATUSES }).notNull().default('PENDING'),
    rejectionReason: text('rejection_reason'),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    activeVehicleId: uuid('active_vehicle_id').references((): AnyPgColumn => vehicles.id),
    online: boolean('online').notNull().default(false),
    onlineSince: timestamp('online_since', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('drivers_user_idx').on(table.userId),
    uniqueIndex('drivers_licence_number_idx').on(table.licenceNumber),
    index('drivers_status_idx').on(table.status, table.createdAt),
    index('drivers_vendor_idx').on(table.vendorId),
    index('drivers_active_vehicle_idx').on(table.activeVehicleId),
    // The expiry job's scan: online drivers by licence expiry.
    index('drivers_online_licence_idx')
      .on(table.licenceExpiry)
      .where(sql`${table.online}`),
    check('drivers_status_check', sql`${table.status} in ('PENDING', 'VERIFIED', 'REJECTED')`),
    check('drivers_online_since_check', sql`${table.online} = (${table.onlineSince} is not null)`),
  ],
);

/** A driver's vehicle. Deleting is soft (trips will refer to it); a deleted vehicle frees its plate. */
export const vehicles = pgTable(
  'vehicles',
  {
    id: uuid('id').primaryKey(),
    driverId: uuid('driver_id')
      .notNull()
      .references((): AnyPgColumn => drivers.id),
    /** Normalised: upper case, no spaces. */
    plate: text('plate').notNull(),
    make: text('make').notNull(),
    model: text('model').notNull(),
    year: integer('year').notNull(),
    class: text('class', { enum: VEHICLE_CLASSES }).notNull(),
    /** Passenger seats, not counting the driver's. */
    capacity: integer('capacity').notNull(),
    insuranceExpiry: date('insurance_expiry', { mode: 'string' }).notNull(),
    inspectionExpiry: date('inspection_expiry', { mode: 'string' }).notNull(),
    status: text('status', { enum: VEHICLE_STATUSES }).notNull().default('SUBMITTED'),
    /** Why the last verification (or the expiry job) refused the vehicle; empty otherwise. */
    rejectionReasons: jsonb('rejection_reasons').$type<string[]>().notNull().default([]),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('vehicles_plate_idx')
      .on(table.plate)
      .where(sql`${table.deletedAt} is null`),
    index('vehicles_driver_idx').on(table.driverId, table.createdAt),
    index('vehicles_status_idx').on(table.status, table.createdAt),
    // The expiry job's scan: verified vehicles by their first document to expire.
    index('vehicles_verified_expiry_idx')
      .on(sql`least(${table.insuranceExpiry}, ${table.inspectionExpiry})`)
      .where(sql`${table.status} = 'VERIFIED' and ${table.deletedAt} is null`),
    check('vehicles_status_check', sql`${table.status} in ('SUBMITTED', 'VERIFIED', 'REJECTED', 'SUSPENDED')`),
    check('vehicles_class_check', sql`${table.class} in ('BIKE', 'CAR', 'VAN', 'ECONOMY', 'COMFORT', 'XL')`),
    check('vehicles_capacity_check', sql`${table.capacity} >= 0`),
  ],
);
