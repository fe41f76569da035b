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
import { tolerateFailedPublishes } from '../../infra/redis/tolerant-publish.js';
import { AccessTokenVerifier } from '../auth/access-token.verifier.js';
import { OrdersService } from '../orders/orders.service.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { refreshRequest, watchRequest, type RefreshAck } from './realtime-events.js';
import { REALTIME_NAMESPACE, RealtimePublisher, socketIoKey } from './realtime-publisher.js';
import { ownRooms, rooms } from './realtime-rooms.js';

/** What the handshake leaves on each socket: who it is, and the access token that proved it. */
interface SocketData {
  actor: Actor;
  token: string;
  /** When `token` expires (epoch ms); the socket ends then unless `auth.refresh` brings a later one. */
  expiresAt: number | null;
  expiry?: NodeJS.Timeout;
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
const OWN_EVENTS = new Set(['order.watch', 'order.unwatch', 'auth.refresh']);

/** What an event from a socket whose token is no longer good is answered, before the socket ends. */
const SIGNED_OUT = { ok: false, error: 'unauthorized' } as const;

/** The longest a Node timer waits (about 24.8 days): a later expiry is re-armed when it fires. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Socket.IO on the API's HTTP server, namespace `/realtime` (DESIGN §9). The handshake must carry an
 * access token in `auth.token`, checked by the same verifier as HTTP (signature, expiry, live session,
 * role still the account's); without one the connection is refused. Each socket joins its own rooms
 * (user, session, and tenant / driver / ops by role); an order's room is joined with `order.watch
 * { tenant, orderId }`, granted only to those who may read the order over HTTP. With REDIS_URL the
 * Redis adapter spreads broadcasts across API instances.
 *
 * A socket lives as long as its token would be accepted over HTTP: it ends when the token expires
 * unless the client sends a fresher one of the same session (`auth.refresh { token }`), when its
 * session ends (SocketsFollowSessions), and when a client event finds the token refused.
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
      const report = (error: unknown) => this.log.warn({ err: error }, 'realtime Redis');
      const pub = tolerateFailedPublishes(new Redis(this.env.REDIS_URL, { protocol: 2 }), report);
      const sub = pub.duplicate();
      for (const client of [pub, sub]) client.on('error', report);
      this.redis = [pub, sub];
      server.adapter(createAdapter(pub, sub, { key: socketIoKey(this.env) }));
    }
    const namespace = server.of(REALTIME_NAMESPACE);
    namespace.use((socket, next) => {
      const given: unknown = socket.handshake.auth?.token;
      const token = typeof given === 'string' ? given : null;
      this.verifier
        .verifyToken(token)
        .then((verified) => {
          if (!verified || !token)
            return next(new Error('unauthorized: a valid access token is required in auth.token'));
          socket.data.actor = verified.actor;
          socket.data.token = token;
          socket.data.expiresAt = verified.expiresAt;
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
   * per event. The handler checks the actor's role itself; the gateway has checked that the socket's
   * token is still good.
   */
  handle(event: string, handler: SocketEventHandler): void {
    if (OWN_EVENTS.has(event) || this.handlers.has(event)) {
      throw new Error(`socket event ${event} already has a handler`);
    }
    this.handlers.set(event, handler);
  }

  private connected(socket: RealtimeSocket): void {
    void socket.join(ownRooms(socket.data.actor));
    this.endAtExpiry(socket);
    socket.on('disconnect', () => clearTimeout(socket.data.expiry));
    for (const [event, handler] of this.handlers) {
      this.serve(socket, event, (payload) => handler(socket.data.actor, payload));
    }
    this.serve(socket, 'order.watch', (request) => this.watch(socket, request));
    // Not re-checked first: the token it replaces may be the one about to expire.
    this.serve(socket, 'auth.refresh', (request) => this.refresh(socket, request), { recheck: false });
    socket.on('order.unwatch', (request: unknown) => {
      const parsed = watchRequest.safeParse(request);
      if (parsed.success) void socket.leave(rooms.order(parsed.data.tenant, parsed.data.orderId));
    });
  }

  /**
   * Answers a client event with what `work` resolves to (the ack, if the client asked for one). First
   * the socket's token is checked again, as an HTTP request's would be (through the same cached
   * session check): its session may have ended without the socket hearing of it — the process that
   * revoked it died before it could say so. A refused token is answered `unauthorized` and ends the
   * socket.
   */
  private serve(
    socket: RealtimeSocket,
    event: string,
    work: (payload: unknown) => Promise<unknown>,
    { recheck }: { recheck: boolean } = { recheck: true },
  ): void {
    socket.on(event, (...args: unknown[]) => {
      const last = args.at(-1);
      const ack = typeof last === 'function' ? (last as (answer: unknown) => void) : undefined;
      const payload = ack && args.length === 1 ? undefined : args[0];
      void this.reply(socket, event, recheck, () => work(payload)).then(({ answer, signedOut }) => {
        ack?.(answer);
        // After the answer: engine.io sends what is queued before it closes the connection.
        if (signedOut) socket.disconnect(true);
      });
    });
  }

  /** What to answer a client event, and whether the socket must end. Never rejects. */
  private async reply(
    socket: RealtimeSocket,
    event: string,
    recheck: boolean,
    work: () => Promise<unknown>,
  ): Promise<{ answer: unknown; signedOut: boolean }> {
    try {
      if (recheck && !(await this.verifier.verify(socket.data.token))) return { answer: SIGNED_OUT, signedOut: true };
      const answer = await runInContext({ actor: socket.data.actor, requestId: newId() }, work);
      return { answer, signedOut: false };
    } catch (error) {
      this.log.warn({ err: error, event }, 'socket event failed');
      return { answer: { ok: false, error: 'unavailable' }, signedOut: false };
    }
  }

  /**
   * Ends the socket once its access token has expired; re-armed by `auth.refresh`. Wall-clock time,
   * as the token's expiry is checked against it.
   */
  private endAtExpiry(socket: RealtimeSocket): void {
    clearTimeout(socket.data.expiry);
    const { expiresAt } = socket.data;
    if (expiresAt === null) return;
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      socket.disconnect(true);
      return;
    }
    socket.data.expiry = setTimeout(() => this.endAtExpiry(socket), Math.min(wait, LONGEST_TIMER_MS)).unref();
  }

  /**
   * `auth.refresh { token }`: a fresher access token of the same session (from `POST /api/auth/refresh`)
   * keeps the socket open past the expiry of the one it connected with. A token of another session,
   * user, role or tenant is refused: the client connects again with it instead.
   */
  private async refresh(socket: RealtimeSocket, request: unknown): Promise<RefreshAck> {
    const parsed = refreshRequest.safeParse(request);
    if (!parsed.success) return { ok: false, error: 'expected { token }' };
    const verified = await this.verifier.verifyToken(parsed.data.token);
    if (!verified) return SIGNED_OUT;
    if (!sameIdentity(verified.actor, socket.data.actor)) {
      return { ok: false, error: 'the token is of another session, role or tenant: connect with it instead' };
    }
    socket.data.token = parsed.data.token;
    socket.data.expiresAt = verified.expiresAt;
    this.endAtExpiry(socket);
    return { ok: true, expiresAt: verified.expiresAt === null ? null : new Date(verified.expiresAt).toISOString() };
  }

  /** Joins the order's room if the actor may read the order (same rule as GET …/orders/:id). */
  private async watch(socket: RealtimeSocket, request: unknown): Promise<WatchAck> {
    const actor = socket.data.actor;
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

function sameIdentity(one: Actor, other: Actor): boolean {
  return (
    one.id === other.id &&
    one.sessionId === other.sessionId &&
    one.role === other.role &&
    (one.tenant ?? null) === (other.tenant ?? null)
  );
}
