import { Writable } from 'node:stream';
import { multistream, pino, type Logger } from 'pino';

/** Silent unless TEST_LOG_LEVEL is set, so a failing test can be rerun with logs. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** A logger that also keeps every error it logs, so a test can show the server's side of a 500. */
export interface RecordingLogger {
  logger: Logger;
  /** The error lines logged so far (parsed JSON), newest last. */
  errors(): Record<string, unknown>[];
  /** The logged line that quotes this error id, pretty-printed, or a note that there is none. */
  describe(errorId: string): string;
}

export function recordingLogger(): RecordingLogger {
  const kept: Record<string, unknown>[] = [];
  const keeper = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) kept.push(JSON.parse(line) as Record<string, unknown>);
      }
      if (kept.length > 200) kept.splice(0, kept.length - 200);
      done();
    },
  });
  const echo = process.env.TEST_LOG_LEVEL;
  const streams = [{ level: 'error' as const, stream: keeper }];
  const logger =
    echo && echo !== 'silent'
      ? pino({ level: echo }, multistream([...streams, { level: echo as 'info', stream: process.stdout }]))
      : pino({ level: 'error' }, keeper);
  return {
    logger,
    errors: () => [...kept],
    describe: (errorId) => {
      const line = kept.find((entry) => JSON.stringify(entry).includes(errorId));
      return line ? JSON.stringify(line, null, 2) : `(no server log line quotes ${errorId})`;
    },
  };
}
