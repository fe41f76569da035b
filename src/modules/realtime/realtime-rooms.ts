import type { Actor } from '../../common/request-context.js';

/** Socket.IO rooms (DESIGN §9). A room name is the only address a realtime message has. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  /** Every socket signed in through one session: what ends when the session does. */
  session: (sessionId: string) => `session:${sessionId}`,
  order: (tenant: string, orderId: string) => `order:${tenant}:${orderId}`,
  driver: (driverId: string) => `driver:${driverId}`,
  tenant: (code: string) => `tenant:${code}`,
  ops: 'ops',
};

/** The rooms a connection joins by itself, from who it is: the rest (an order) it must ask for. */
export function ownRooms(actor: Actor): string[] {
  const joined = [rooms.user(actor.id)];
  if (actor.sessionId) joined.push(rooms.session(actor.sessionId));
  if (actor.role === 'ADMIN') joined.push(rooms.ops);
  if (actor.role === 'MERCHANT' && actor.tenant) joined.push(rooms.tenant(actor.tenant));
  if (actor.role === 'DRIVER') joined.push(rooms.driver(actor.id));
  return joined;
}
