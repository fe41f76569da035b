import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SessionEndings, type SessionEnding } from '../auth/session-endings.js';
import { RealtimePublisher } from './realtime-publisher.js';
import { rooms } from './realtime-rooms.js';

/**
 * A socket lives no longer than the session it signed in with: when a session is revoked (logout, a
 * session deleted, a refresh token reused) its sockets end, and when a user is disabled, deleted or
 * changes role or tenant every socket of theirs ends — in every API process, right after the change.
 * Together with the expiry timer and the re-check of each client event (RealtimeGateway), a socket
 * never acts or listens on a token HTTP would refuse.
 */
@Injectable()
export class SocketsFollowSessions implements OnModuleInit {
  constructor(
    @Inject(SessionEndings) private readonly endings: SessionEndings,
    @Inject(RealtimePublisher) private readonly publisher: RealtimePublisher,
  ) {}

  onModuleInit(): void {
    this.endings.onEnded((ending) => this.publisher.disconnect([roomOf(ending)]));
  }
}

function roomOf(ending: SessionEnding): string {
  return 'sessionId' in ending ? rooms.session(ending.sessionId) : rooms.user(ending.userId);
}
