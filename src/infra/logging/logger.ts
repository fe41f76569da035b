import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { Env } from '../../config/env.schema.js';

export const LOGGER = Symbol('LOGGER');

/** Paths never written to logs, whatever logs them. */
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
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

/** JSON logs for machines; pretty lines for a developer at a terminal. */
export function createLogger(env: Pick<Env, 'LOG_LEVEL' | 'LOG_PRETTY' | 'NODE_ENV' | 'MODE'>): Logger {
  const pretty = env.LOG_PRETTY ?? (env.NODE_ENV === 'development' && process.stdout.isTTY === true);
  return pino({
    level: env.LOG_LEVEL,
    base: { pid: process.pid, mode: env.MODE },
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
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
