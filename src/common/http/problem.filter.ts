import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { newId } from '../ids.js';
import { Saturated } from '../saturated.js';
import { PROBLEM_CONTENT_TYPE, problem, type Problem } from './problem.js';
import { ProblemException } from './problem-exception.js';

/** Fastify's own errors (body too large, bad JSON, wrong content type) carry a status code and a code. */
interface FastifyError {
  statusCode?: number;
  code?: string;
  message: string;
}

/**
 * Turns every error into RFC 9457 problem+json. Unexpected errors are logged with an error id and
 * answered with that id only, never with internals.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = { ...this.toProblem(error, request), instance: request.url };
    if (error instanceof Saturated) void reply.header('retry-after', String(error.retryAfterSeconds));
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  private toProblem(error: unknown, request: FastifyRequest): Problem {
    if (error instanceof ProblemException) return error.problem;
    // A load problem, not a bug (every tenant pool busy, …): 503 rather than 500, wherever a handler met it.
    if (error instanceof Saturated) {
      return problem(
        503,
        error.publicDetail ?? 'This server is too busy to take the request right now; try again shortly.',
      );
    }
    if (error instanceof HttpException) {
      const response = error.getResponse();
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      const detail = Array.isArray(message)
        ? message.join('; ')
        : typeof message === 'string'
          ? message
          : error.message;
      return problem(error.getStatus(), detail);
    }
    const fastifyError = error as FastifyError;
    if (
      typeof fastifyError?.statusCode === 'number' &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500
    ) {
      return problem(
        fastifyError.statusCode,
        fastifyError.message,
        fastifyError.code ? { code: fastifyError.code } : {},
      );
    }
    const errorId = newId();
    this.log.error({ err: error, errorId, reqId: request.id, url: request.url }, 'unhandled error');
    return problem(500, `Something went wrong on our side. Quote error id ${errorId} when reporting it.`, { errorId });
  }
}
