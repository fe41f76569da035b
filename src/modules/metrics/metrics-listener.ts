import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { PROBLEM_CONTENT_TYPE, problem } from '../../common/http/problem.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { METRICS, type Metrics } from '../../infra/metrics/metrics.js';

/**
 * GET /metrics on METRICS_PORT, a port of its own that the network can keep private while the main port
 * is public. Plain `node:http`: one route, no middleware, and it runs in every role, so a worker or a
 * scheduler (which serve no HTTP otherwise) can be scraped too.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(METRICS) private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Where /metrics is served (the real port when METRICS_PORT=0). */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the metrics listener is not listening');
    return `http://127.0.0.1:${address.port}/metrics`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => {
      this.answer(request, response).catch((error: unknown) => {
        this.log.error({ err: error }, 'metrics scrape failed');
        send(response, 500, 'The metrics could not be collected.');
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.env.METRICS_PORT, this.env.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.log.info({ url: this.url }, 'metrics are served on their own port');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    // A scraper's keep-alive socket would hold the close open.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') return send(response, 404, 'Only /metrics is served on this port.');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(response, 405, 'GET /metrics is the only route of this port.');
    }
    const body = await this.metrics.registry.metrics();
    response.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'x-content-type-options': 'nosniff' });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}

function send(response: ServerResponse, status: number, detail: string): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'x-content-type-options': 'nosniff' });
  response.end(JSON.stringify(problem(status, detail)));
}
