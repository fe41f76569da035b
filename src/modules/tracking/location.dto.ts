import { z } from 'zod';
import type { FieldError } from '../../common/http/problem.js';
import { fieldErrors } from '../../common/http/zod-validation.pipe.js';

/** Device clocks run a little ahead of ours: a fix stamped up to this far ahead is accepted. */
export const CLOCK_SKEW_MS = 5_000;
/** A fix older than this is refused: a broken device clock, or a buffer replayed a day late. */
export const MAX_FIX_AGE_MS = 24 * 60 * 60 * 1000;
export const MAX_BATCH = 100;

const fixTime = z.iso
  .datetime({ offset: true })
  .refine((value) => !(Date.parse(value) > Date.now() + CLOCK_SKEW_MS), 'must not be in the future')
  .refine((value) => !(Date.parse(value) < Date.now() - MAX_FIX_AGE_MS), 'must not be more than 24 hours old')
  .describe('When the device took the fix, ISO 8601 with offset; at most 5 s ahead of the server, at most 24 h old');

export const positionFix = z.strictObject({
  lat: z.number().min(-90).max(90).describe('Latitude, degrees'),
  lng: z.number().min(-180).max(180).describe('Longitude, degrees'),
  heading: z.number().min(0).max(360).nullish().describe('Degrees clockwise from north, when the device knows it'),
  speed: z.number().min(0).nullish().describe('Metres per second, when the device knows it'),
  at: fixTime,
});

export const positionBatch = z.strictObject({
  positions: z.array(positionFix).min(1).max(MAX_BATCH).describe(`1 to ${MAX_BATCH} fixes, in any order`),
});

/** What `POST /api/drivers/me/location` and the socket event `driver.location` take: one fix, or a batch. */
export const locationBody = z.union([positionFix, positionBatch]);

export const locationAcceptedSchema = z
  .object({
    accepted: z.number().int().describe('Fixes accepted (all of them: a request is applied whole or refused whole)'),
  })
  .meta({ id: 'LocationAccepted' });

export const lastKnownPositionSchema = z
  .object({
    lat: z.number(),
    lng: z.number(),
    heading: z.number().nullable(),
    speed: z.number().nullable(),
    at: z.string().describe('When the device took the fix'),
    live: z.boolean().describe('The driver is in the live index with a fix no older than 60 s'),
  })
  .meta({ id: 'DriverPosition' });
export type LastKnownPosition = z.infer<typeof lastKnownPositionSchema>;

/** A validated fix, as the use case works with it. */
export interface Fix {
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  at: Date;
}

export type ParsedLocation = { ok: true; fixes: Fix[] } | { ok: false; errors: FieldError[] };

/**
 * Validates a location report from either edge (HTTP body or socket payload). A body with `positions`
 * is a batch, anything else one fix: choosing first (rather than a zod union) keeps the errors on the
 * right fields, e.g. `positions.3.at`.
 */
export function parseLocation(input: unknown): ParsedLocation {
  const isBatch = typeof input === 'object' && input !== null && 'positions' in input;
  const result = isBatch ? positionBatch.safeParse(input) : positionFix.safeParse(input);
  if (!result.success) return { ok: false, errors: fieldErrors(result.error) };
  const fixes = 'positions' in result.data ? result.data.positions : [result.data];
  return {
    ok: true,
    fixes: fixes.map((fix) => ({
      lat: fix.lat,
      lng: fix.lng,
      heading: fix.heading ?? null,
      speed: fix.speed ?? null,
      at: new Date(fix.at),
    })),
  };
}
