import type { FastifyReply } from 'fastify';
import { problem } from './problem.js';
import { ProblemException } from './problem-exception.js';

/** Whole seconds for `Retry-After` (at least 1: "0" would invite an immediate retry). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The 429 a refused caller gets: problem+json with `retryAfter`, and the `Retry-After` header set on `reply`. */
export function tooManyRequests(reply: FastifyReply, seconds: number, what: string): ProblemException {
  void reply.header('retry-after', String(seconds));
  return new ProblemException(problem(429, `Too many ${what}; try again in ${seconds} s.`, { retryAfter: seconds }));
}
