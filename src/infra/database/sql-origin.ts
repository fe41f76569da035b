import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a database round trip is done for — `http`, `consumer:<name>`, `outbox-relay`, `job:<name>` — so
 * the commit counters can say where each commit of an order goes (`ordo_db_commits_total{origin}`).
 * Set where work starts; everything that work awaits inherits it.
 */
const origins = new AsyncLocalStorage<string>();

export function withSqlOrigin<T>(origin: string, work: () => T): T {
  return origins.run(origin, work);
}

/** For a chain already running (an HTTP request's hooks): the rest of it counts as `origin`. */
export function enterSqlOrigin(origin: string): void {
  origins.enterWith(origin);
}

export function currentSqlOrigin(): string {
  return origins.getStore() ?? 'other';
}
