/**
 * Business time: what "now" is for due times, expiries, schedules and stamps. Feature code asks the
 * injected clock instead of `Date.now()`, so tests of expiry, offers and schedules move time instead
 * of waiting for it. (Timers, timeouts and log times are not business time and use the real clock.)
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };

/** `ms` from the clock's now. */
export function fromNow(clock: Clock, ms: number): Date {
  return new Date(clock.now().getTime() + ms);
}
