// Live positions: the geo index (Redis GEO / in memory) answers "who is near"; this table keeps each
// driver's last known position durably, written at most every few seconds per driver (throttled).
import { doublePrecision, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { drivers } from '../fleet/fleet.tables.js';

export const driverPositions = pgTable('driver_positions', {
  driverId: uuid('driver_id')
    .primaryKey()
    .references(() => drivers.id, { onDelete: 'cascade' }),
  lat: doublePrecision('lat').notNull(),
  lng: doublePrecision('lng').notNull(),
  /** Degrees clockwise from north, when the device knows it. */
  heading: doublePrecision('heading'),
  /** Metres per second, when the device knows it. */
  speed: doublePrecision('speed'),
  /** When the device took the fix. */
  at: timestamp('at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
