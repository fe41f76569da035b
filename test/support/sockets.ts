import { io, type Socket } from 'socket.io-client';
import { waitFor } from './wait-for.js';

/** A real socket.io client on `/realtime`, recording every event it receives, in order. */
export class RealtimeClient {
  readonly received: { event: string; payload: Record<string, unknown> }[] = [];
  /** When the connection ended and why (socket.io-client's reason), once it has. */
  ended: { at: number; reason: string } | undefined;

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: Record<string, unknown>) => this.received.push({ event, payload }));
    socket.on('disconnect', (reason) => (this.ended = { at: Date.now(), reason }));
  }

  /** Connects with `token` in `auth.token`; rejects with the server's reason when refused. */
  static connect(baseUrl: string, token: string | undefined): Promise<RealtimeClient> {
    const socket = io(`${baseUrl}/realtime`, {
      auth: token === undefined ? {} : { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RealtimeClient(socket)));
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
  }

  watch(tenant: string, orderId: string): Promise<{ ok: boolean; error?: string }> {
    return this.socket.timeout(5_000).emitWithAck('order.watch', { tenant, orderId });
  }

  /** `auth.refresh { token }`: hands the server a fresher access token of the socket's session. */
  refreshAuth(token: string): Promise<{ ok: boolean; expiresAt?: string | null; error?: string }> {
    return this.socket.timeout(5_000).emitWithAck('auth.refresh', { token });
  }

  /** Resolves once the server has ended the connection; rejects after `timeoutMs`. */
  waitForEnd(timeoutMs: number): Promise<{ at: number; reason: string }> {
    return waitFor(() => this.ended, { timeoutMs, intervalMs: 10, what: 'the server to end the socket' });
  }

  /**
   * True if the server still answers this socket (a round trip: an `order.watch` it refuses for want of
   * an order). To show a socket was spared, ask once one that was not has ended on the same server.
   */
  async stillServed(): Promise<boolean> {
    if (!this.socket.connected) return false;
    try {
      await this.socket.timeout(5_000).emitWithAck('order.watch', {});
      return this.socket.connected;
    } catch {
      return false;
    }
  }

  /** The statuses of `orderId` seen so far, in arrival order. */
  statuses(orderId: string): string[] {
    return this.received
      .filter(({ event, payload }) => event === 'order.status' && payload.orderId === orderId)
      .map(({ payload }) => String(payload.status));
  }

  async waitForStatus(orderId: string, status: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.statuses(orderId).includes(status), {
      timeoutMs,
      what: `order.status ${status} for ${orderId}`,
    });
  }

  close(): void {
    this.socket.close();
  }
}
