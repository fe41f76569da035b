import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import type { Env } from './config/env.schema.js';
import { InvalidEnvironmentError, loadEnv } from './config/load-env.js';
import { startOrdo, type Ordo } from './bootstrap.js';
import { DataDirInUseError } from './infra/database/data-dir-lock.js';

loadDotenv({ quiet: true });

function readEnv(): Env {
  try {
    return loadEnv();
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    for (const problem of error.problems) console.error(`Ordo cannot start: ${problem}`);
    process.exit(1);
  }
}

const env = readEnv();

const ordo: Ordo = await startOrdo(env).catch((error: unknown) => {
  // Another process on DATA_DIR is an operator's situation, not a bug: one line, no stack.
  if (error instanceof DataDirInUseError) console.error(`Ordo cannot start: ${error.message}`);
  else console.error('Ordo failed to start:', error);
  process.exit(1);
});

// The last line of defence, not error handling: a promise someone forgot to await (a library's
// fire-and-forget call during an outage, say) must not take a whole role down with every in-flight
// request and message. It is logged as an error so it gets fixed where it started.
process.on('unhandledRejection', (reason) => {
  ordo.logger.error({ err: reason }, 'unhandled promise rejection (kept running)');
});

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  ordo.logger.info({ signal }, 'shutting down: finishing in-flight requests and messages');
  const timer = setTimeout(() => {
    ordo.logger.error({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS }, 'graceful shutdown timed out');
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS);
  timer.unref();
  try {
    await ordo.close();
    ordo.logger.info('shutdown complete');
    ordo.logger.flush?.();
    process.exit(0);
  } catch (error) {
    ordo.logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}

process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
