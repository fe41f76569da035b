import { z } from 'zod';
import { todayUtc } from './vehicle-rules.js';

// Field schemas the fleet's DTOs share.

export const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{3,30}$/, 'a phone number: digits, spaces, ( ) . - and an optional leading +');

export const isoDate = z.iso.date('a date, YYYY-MM-DD');

/** A date that is today or later (UTC, by the wall clock: a DTO has no injected one). */
export const notPastDate = isoDate.refine((value) => value >= todayUtc(new Date()), 'must be today or later');
