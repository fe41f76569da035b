import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplicationContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { AppModule, rolesOf } from './app.module.js';
import type { Env } from './config/env.schema.js';
import { newId } from './common/ids.js';
import { ProblemFilter } from './common/http/problem.filter.js';
import { corsOptions } from './common/http/cors.js';
import { answerClientError, answerFrameworkError } from './common/http/framework-errors.js';
import { useSecurityHeaders } from './common/http/security-headers.js';
import type { InfraOptions } from './infra/infra.module.js';
import { createLogger, LOGGER, PinoNestLogger } from './infra/logging/logger.js';
import { enterSqlOrigin } from './infra/database/sql-origin.js';
import { METRICS, type Metrics } from './infra/metrics/metrics.js';
import { setupOpenApi } from './openapi.js';
import { configureFailpoints } from './common/failpoints.js';
import { CHECKOUT_ROUTES } from './modules/payments/payments.module.js';
import { RealtimeGateway } from './modules/realtime/realtime.gateway.js';

export interface Ordo {
  app: INestApplicationContext;
  /** Base URL of the HTTP server when this process serves the api role. */
  url?: string;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions extends InfraOptions {
  logger?: Logger;
}

/**
 * Builds and starts the roles `env.MODE` asks for. The one entry point for main.ts and the tests. A
 * failure to start rejects (abortOnError: false: Nest would otherwise exit the process on its own), so
 * the caller decides how to report it.
 */
export async function startOrdo(env: Env, options: StartOptions = {}): Promise<Ordo> {
  const logger = options.logger ?? createLogger(env);
  configureFailpoints(env.ORDO_FAILPOINTS);
  if (env.ORDO_FAILPOINTS) logger.warn({ failpoints: env.ORDO_FAILPOINTS }, 'failpoints are active (tests only)');
  const module = AppModule.forRoot(env, logger, options);
  const nestLogger = new PinoNestLogger(logger.child({ component: 'nest' }));

  if (!rolesOf(env.MODE).includes('api')) {
    const app = await NestFactory.createApplicationContext(module, { logger: nestLogger, abortOnError: false });
    await app.init();
    return { app, logger, close: () => app.close() };
  }

  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: env.BODY_LIMIT_BYTES,
    // Checkout tokens (/pay/<token>) are longer than Fastify's default of 100 characters per path parameter.
    routerOptions: { maxParamLength: 256 },
    trustProxy: env.TRUST_PROXY,
    // An upstream request id is kept only if it looks like one (UUID-ish, short): it ends up in logs
    // and the audit trail, so a client must not be able to plant arbitrary text there.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{8,64}$/.test(given) ? given : newId();
    },
    // Idle keep-alive sockets close at shutdown; requests in flight finish first.
    forceCloseConnections: 'idle',
    // What the router and Node's parser refuse before any hook runs is problem+json too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // rawBody: webhooks are signed over the exact bytes received.
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: nestLogger,
    rawBody: true,
    abortOnError: false,
  });
  app.setGlobalPrefix('api', { exclude: ['metrics', ...CHECKOUT_ROUTES] });
  app.enableCors(corsOptions(env.CORS_ORIGINS));
  app.useGlobalFilters(new ProblemFilter(app.get(LOGGER)));
  useSecurityHeaders(app);
  instrumentHttp(app);
  setupOpenApi(app);
  const fastify = app.getHttpAdapter().getInstance();
  const realtime = app.get(RealtimeGateway);
  realtime.attach(app.getHttpServer());
  // Open websockets would keep the HTTP server from closing: drop them as closing starts.
  fastify.addHook('preClose', (done) => {
    realtime.disconnectAll();
    done();
  });
  await app.listen({ port: env.PORT, host: env.HOST });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url, mode: env.MODE }, 'Ordo is listening');
  return {
    app,
    url,
    logger,
    // Stop intake first: the server stops accepting and finishes requests in flight; only then do
    // the worker and scheduler finish their messages and jobs, and the pools close.
    close: async () => {
      await fastify.close();
      await app.close();
    },
  };
}

function instrumentHttp(app: NestFastifyApplication): void {
  const metrics = app.get<Metrics>(METRICS);
  const fastify = app.getHttpAdapter().getInstance();
  // Everything a request does from here on counts its commits as `http` (ordo_db_commits_total{origin}).
  fastify.addHook('onRequest', (_request, _reply, done) => {
    enterSqlOrigin('http');
    done();
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
