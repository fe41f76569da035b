import { pino, type Logger } from 'pino';

/** Silent unless TEST_LOG_LEVEL is set, so a failing test can be rerun with logs. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}
