import type { Clock } from '../../src/common/clock.js';

/** Business time a test can move: real time plus whatever the test skipped ahead. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
