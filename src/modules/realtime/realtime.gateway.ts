import type { Server as HttpServer } from 'node:http';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { newId } from '../../common/ids.js';
import { runInContext, type Actor } from '../../common/request-context.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { AccessTokenVerifier } from '../auth/access-token.verifier.js';
import { OrdersService } from '../orders/orders.service.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { watchRequest } from './realtime-events.js';
import { REALTIME_NAMESPACE, RealtimePublisher, socketIoKey } from './realtime-publisher.js';
import { ownRooms, rooms } from './realtime-rooms.js';

/** What the handshake leaves on each socket: who it is. */
interface SocketData {
  actor: Actor;
}
type RealtimeServer = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;
type RealtimeSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;

export type WatchAck = { ok: true; room: string } | { ok: false; error: string };

/**
 * A client event served by a feature module: called with the socket's actor and the event's payload;
 * what it resolves to is the ack. Refusals are answers (`{ ok: false, error }`); a throw is logged and
 * answered `{ ok: false, error: 'unavailable' }`.
 */
export type SocketEventHandler = (actor: Actor, payload: unknown) => Promise<unknown>;

/** The gateway's own events: no module may take them over. */
const OWN_EVENTS = new Set(['order.watch', 'order.unwatch']);

/**
 * Socket.IO on the API's HTTP server, namespace `/realtime` (DESIGN §9). The handshake must carry an
 * access token in `auth.token`, checked by the same verifier as HTTP (signature, expiry, live session,
 * role still the account's); without one the connection is refused. Each socket joins its own rooms
 * (user, and tenant / driver / ops by role); an order's room is joined with `order.watch
 * { tenant, orderId }`, granted only to those who may read the order over HTTP. With REDIS_URL the
 * Redis adapter spreads broadcasts across API instances.
 */
@Injectable()
export class RealtimeGateway implements OnApplicationShutdown {
  private server: RealtimeServer | undefined;
  private redis: Redis[] = [];
  private readonly handlers = new Map<string, SocketEventHandler>();

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(AccessTokenVerifier) private readonly verifier: AccessTokenVerifier,
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(RealtimePublisher) private readonly publisher: RealtimePublisher,
  ) {}

  attach(http: HttpServer): void {
    // The web shops of CORS_ORIGINS may connect too (HTTP long-polling is subject to CORS); no one else.
    const cors = { origin: [...this.env.CORS_ORIGINS], credentials: true };
    const server: RealtimeServer = new Server(http, { serveClient: false, cors });
    if (this.env.REDIS_URL) {
      const pub = new Redis(this.env.REDIS_URL, { protocol: 2 });
      const sub = pub.duplicate();
      for (const client of [pub, sub]) client.on('error', (error) => this.log.warn({ err: error }, 'realtime Redis'));
      this.redis = [pub, sub];
      server.adapter(createAdapter(pub, sub, { key: socketIoKey(this.env) }));
    }
    const namespace = server.of(REALTIME_NAMESPACE);
    namespace.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      this.verifier
        .verify(typeof token === 'string' ? token : null)
        .then((actor) => {
          if (!actor) return next(new Error('unauthorized: a valid access token is required in auth.token'));
          socket.data.actor = actor;
          next();
        })
        .catch((error: unknown) => {
          this.log.warn({ err: error }, 'realtime handshake failed');
          next(new Error('unavailable'));
        });
    });
    namespace.on('connection', (socket) => this.connected(socket));
    this.server = server;
    this.publisher.useServer(server);
  }

  /**
   * Serves a client event on every socket, so feature modules add socket events without realtime
   * depending on them. Register at module init (sockets connected earlier do not get it); one handler
   * per event. The handler checks the actor's role itself.
   */
  handle(event: string, handler: SocketEventHandler): void {
    if (OWN_EVENTS.has(event) || this.handlers.has(event)) {
      throw new Error(`socket event ${event} already has a handler`);
    }
    this.handlers.set(event, handler);
  }

  private connected(socket: RealtimeSocket): void {
    const actor = socket.data.actor;
    void socket.join(ownRooms(actor));
    for (const [event, handler] of this.handlers) {
      socket.on(event, (...args: unknown[]) => {
        const last = args.at(-1);
        const ack = typeof last === 'function' ? (last as (answer: unknown) => void) : undefined;
        const payload = ack && args.length === 1 ? undefined : args[0];
        runInContext({ actor, requestId: newId() }, async () => handler(actor, payload))
          .then((answer) => ack?.(answer))
          .catch((error: unknown) => {
            this.log.warn({ err: error, event }, 'socket event failed');
            ack?.({ ok: false, error: 'unavailable' });
          });
      });
    }
    socket.on('order.watch', (request: unknown, ack?: (answer: WatchAck) => void) => {
      this.watch(socket, actor, request)
        .then((answer) => ack?.(answer))
        .catch((error: unknown) => {
          this.log.warn({ err: error }, 'order.watch failed');
          ack?.({ ok: false, error: 'unavailable' });
        });
    });
    socket.on('order.unwatch', (request: unknown) => {
      const parsed = watchRequest.safeParse(request);
      if (parsed.success) void socket.leave(rooms.order(parsed.data.tenant, parsed.data.orderId));
    });
  }

  /** Joins the order's room if the actor may read the order (same rule as GET …/orders/:id). */
  private async watch(socket: RealtimeSocket, actor: Actor, request: unknown): Promise<WatchAck> {
    const parsed = watchRequest.safeParse(request);
    if (!parsed.success) return { ok: false, error: 'expected { tenant, orderId }' };
    const { tenant: code, orderId } = parsed.data;
    const staff = actor.role === 'ADMIN' || (actor.role === 'MERCHANT' && actor.tenant === code);
    const tenant = await this.tenants.find(code);
    const visible =
      tenant &&
      (staff || actor.role === 'CUSTOMER' || actor.role === 'DRIVER') &&
      (await this.orders.canSee(tenant, actor, orderId));
    if (!visible) return { ok: false, error: 'not found' };
    const room = rooms.order(code, orderId);
    await socket.join(room);
    return { ok: true, room };
  }

  /**
   * Drops every socket: called as the HTTP server starts closing (an open websocket would keep it
   * from ever closing). Clients reconnect to another instance.
   */
  disconnectAll(): void {
    this.server?.disconnectSockets(true);
    this.server?.engine.close();
  }

  onApplicationShutdown(): void {
    for (const client of this.redis) client.disconnect();
  }
}
