/**
 * The server is at capacity for this request right now — every pool busy, the database refusing
 * connections — a load problem, not a bug: HTTP answers 503 with `Retry-After`, never 500. Infra
 * errors of that kind extend it, so the edge needs to know none of them.
 */
export class Saturated extends Error {
  constructor(
    message: string,
    /** What `Retry-After` says, in seconds. */
    readonly retryAfterSeconds = 1,
    /** What the client is told instead of the generic "too busy", when there is more to say. */
    readonly publicDetail?: string,
  ) {
    super(message);
  }
}
