import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem, type Problem } from './problem.js';

// Errors answered before any hook, Nest filter or route runs: the router refusing a path (bad
// percent-encoding, an over-long parameter) and Node's HTTP parser refusing a request (headers too
// large, garbage, a timeout). Fastify answers them with its own JSON; these answer problem+json like
// every other error. The detail never echoes the request: a refused path may be anything at all.

/** What no hook adds to these answers: they are not sniffed, not cached. */
const HEADERS = {
  'content-type': PROBLEM_CONTENT_TYPE,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

const ROUTER_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The request path is not valid percent-encoding.',
  FST_ERR_MAX_PARAM_LENGTH: 'A segment of the request path is too long.',
};

/** Fastify's `frameworkErrors` option: the router's refusals as problem+json. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 400;
  const body = problem(status, ROUTER_DETAILS[error.code] ?? error.message, { code: error.code });
  void reply
    .status(status)
    .headers({ ...HEADERS, 'x-request-id': request.id })
    .send(JSON.stringify(body));
}

/**
 * Fastify's `clientErrorHandler` option: Node's parser gave up on the request, so there is no request
 * or reply object, only the socket. The answer is written as raw HTTP, then the socket closes.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = clientErrorStatus(error.code);
  this.log.debug({ err: error, status }, 'client error before routing');
  if (socket.writable) socket.write(rawResponse(status, problem(status, CLIENT_DETAILS[status])));
  socket.destroy();
}

const CLIENT_DETAILS: Record<number, string> = {
  400: 'The request is not valid HTTP.',
  408: 'The request took too long to arrive.',
  431: 'The request headers (or the URL) are larger than this server accepts.',
};

function clientErrorStatus(code: string | undefined): 400 | 408 | 431 {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

function rawResponse(status: number, body: Problem): string {
  const json = JSON.stringify(body);
  const headers = Object.entries({ ...HEADERS, 'content-length': String(Buffer.byteLength(json)), connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${headers}\r\n${json}`;
}
