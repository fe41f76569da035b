import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a test process did to a RabbitMQ namespace, summed by scripts/run-tests.mjs at the end of the run. */
export interface TestStats {
  namespace: string;
  /** Leased from the namespace pool. */
  leased?: true;
  /** Queues that did not exist before this process declared them. */
  declared?: number;
  /** Queues this process deleted. */
  deleted?: number;
}

/**
 * Appends one line to this process's file in ORDO_TEST_STATS_DIR (set by the runner; without it, as
 * when a file runs under plain `node --test`, nothing is recorded). One file per process, so parallel
 * test files never interleave their writes.
 */
export function recordTestStats(stats: TestStats): void {
  const dir = process.env.ORDO_TEST_STATS_DIR;
  if (!dir) return;
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(stats)}\n`);
}
