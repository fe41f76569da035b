import {
  CLIENT_EVENTS,
  SERVER_EVENTS,
  type ClientEvent,
  type ServerEvent,
} from './modules/realtime/realtime-events.js';
import { TRACKING_CLIENT_EVENTS } from './modules/tracking/tracking.socket-events.js';

/**
 * The whole Socket.IO contract: the realtime module's own events and those feature modules add through
 * `RealtimeGateway.handle`. Gathered here, above the modules, because realtime must not depend on them.
 */
export const SOCKET_EVENTS: { server: Record<string, ServerEvent>; client: Record<string, ClientEvent> } = {
  server: SERVER_EVENTS,
  client: { ...CLIENT_EVENTS, ...TRACKING_CLIENT_EVENTS },
};
