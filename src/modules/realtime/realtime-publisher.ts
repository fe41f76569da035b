import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { tolerateFailedPublishes } from '../../infra/redis/tolerant-publish.js';

export const REALTIME_NAMESPACE = '/realtime';

/** The Redis channel prefix Socket.IO's adapter and emitter share: per deployment (and per test). */
export const socketIoKey = (env: Env) => `${env.REDIS_KEY_PREFIX}socket.io`;

/**
 * Sends realtime events to rooms, from any process. In an API process the local Socket.IO server
 * broadcasts (through the Redis adapter, so sockets on every API instance get it); in a worker, the
 * Redis emitter publishes to the same channel. Without Redis, only a process that also serves sockets
 * (MODE=all) can reach them — the embedded default.
 */
@Injectable()
export class RealtimePublisher implements OnApplicationShutdown {
  private server: Server | undefined;
  private emitter: Emitter | undefined;
  private redis: Redis | undefined;
  private warned = false;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Called by the gateway once it serves sockets in this process. */
  useServer(server: Server): void {
    this.server = server;
  }

  publish(to: string[], event: string, payload: unknown): void {
    if (to.length === 0) return;
    this.reach(
      (server) => server.of(REALTIME_NAMESPACE).to(to).emit(event, payload),
      (emitter) => emitter.of(REALTIME_NAMESPACE).to(to).emit(event, payload),
    );
  }

  /**
   * Ends every socket in these rooms, in every API process (their clients see "io server disconnect"
   * and do not reconnect by themselves).
   */
  disconnect(to: string[]): void {
    if (to.length === 0) return;
    this.reach(
      (server) => {
        const namespace = server.of(REALTIME_NAMESPACE);
        // This process's sockets at once: the Redis adapter routes even local disconnects through Redis.
        namespace.local.in(to).disconnectSockets(true);
        if (this.env.REDIS_URL) namespace.in(to).disconnectSockets(true);
      },
      (emitter) => emitter.of(REALTIME_NAMESPACE).in(to).disconnectSockets(true),
    );
  }

  /** Through the local server where there is one, else through the Redis emitter, else nowhere (warned once). */
  private reach(viaServer: (server: Server) => void, viaEmitter: (emitter: Emitter) => void): void {
    if (this.server) return viaServer(this.server);
    const emitter = this.redisEmitter();
    if (emitter) return viaEmitter(emitter);
    if (!this.warned) {
      this.warned = true;
      this.log.warn('realtime events are dropped: this process serves no sockets and REDIS_URL is not set');
    }
  }

  private redisEmitter(): Emitter | undefined {
    if (!this.env.REDIS_URL) return undefined;
    if (!this.emitter) {
      const report = (error: unknown) => this.log.warn({ err: error }, 'realtime emitter: Redis error');
      this.redis = tolerateFailedPublishes(
        new Redis(this.env.REDIS_URL, { protocol: 2, maxRetriesPerRequest: 2 }),
        report,
      );
      this.redis.on('error', report);
      this.emitter = new Emitter(this.redis, { key: socketIoKey(this.env) });
    }
    return this.emitter;
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis?.disconnect();
  }
}
