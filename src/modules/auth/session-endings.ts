import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../infra/logging/logger.js';

/**
 * Whose access tokens just stopped being good: one session's (logout, a session deleted, a refresh
 * token reused), or every token a user holds (disabled, deleted, role or tenant changed).
 */
export type SessionEnding = { sessionId: string } | { userId: string };

export type SessionEndingListener = (ending: SessionEnding) => void;

/**
 * Tells whoever keeps something open on a session's behalf — realtime's sockets — that it must end.
 * Announced after the change committed and the cached session checks were dropped, so a client that
 * reconnects at once is refused. In-process only: a listener reaches other processes itself.
 * Auth cannot import realtime (realtime authenticates through auth), hence a listener, plugged in at
 * module init, rather than a call.
 */
@Injectable()
export class SessionEndings {
  private readonly listeners: SessionEndingListener[] = [];

  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  onEnded(listener: SessionEndingListener): void {
    this.listeners.push(listener);
  }

  /** Best effort: a listener's failure is logged, and never undoes or fails the revocation. */
  announce(ending: SessionEnding): void {
    for (const listener of this.listeners) {
      try {
        listener(ending);
      } catch (error) {
        this.log.warn({ err: error, ending }, 'a session-ending listener failed');
      }
    }
  }
}
