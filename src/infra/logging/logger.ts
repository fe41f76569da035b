import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { Env } from '../../config/env.schema.js';

export const LOGGER = Symbol('LOGGER');

/** Paths never written to logs, whatever logs them. */
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  // `*.x` only matches one level down, so each field is listed at the top level too.
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  'env.JWT_SECRET',
  'env.DATABASE_URL',
  'env.RABBITMQ_URL',
  'env.REDIS_URL',
  'env.SMTP_URL',
];

/**
 * Drizzle's query errors carry the statement's parameters in their message ("Failed query: …
 * params: …"), which for an insert into users includes a password hash. Logs keep the SQL and the
 * database's own error (SQLSTATE, constraint), never the parameters.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const scrub = (value: unknown) =>
    typeof value === 'string' ? value.replace(/\nparams:[\s\S]*$/, '\nparams: [redacted]') : value;
  serialized.message = scrub(serialized.message);
  serialized.stack = scrub(serialized.stack);
  return serialized;
}

/**
 * JSON logs for machines; pretty lines for a developer at a terminal. Written to stdout unless a
 * `destination` is given (tests capture the lines that way).
 */
export function createLogger(
  env: Pick<Env, 'LOG_LEVEL' | 'LOG_PRETTY' | 'NODE_ENV' | 'MODE'>,
  destination?: DestinationStream,
): Logger {
  const pretty = env.LOG_PRETTY ?? (env.NODE_ENV === 'development' && process.stdout.isTTY === true);
  const options: LoggerOptions = {
    level: env.LOG_LEVEL,
    base: { pid: process.pid, mode: env.MODE },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  if (!pretty) return pino(options, destination);
  const prettyOptions = { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };
  // To stdout pino-pretty formats in a worker thread; a given destination gets it in this thread.
  if (destination) return pino(options, pinoPretty({ ...prettyOptions, destination }));
  return pino({ ...options, transport: { target: 'pino-pretty', options: prettyOptions } });
}

/** Routes Nest's own log lines (bootstrap, routes) into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
