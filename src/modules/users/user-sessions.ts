import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Db } from '../../infra/database/sql-database.js';

/** Why a user's sessions were revoked (sessions.revoked_reason). */
export type RevokeReason = 'user_disabled' | 'user_deleted' | 'role_changed' | 'tenant_changed';

/** What the users module needs from whoever keeps sign-in sessions (the auth module). */
export interface SessionKeeper {
  /** Revokes every live session of the user in the caller's transaction; returns how many. */
  revokeAllOf(tx: Db, userId: string, reason: RevokeReason): Promise<number>;
  /**
   * Call after the commit of a change to what a user's tokens may say or whether they may act: every
   * process re-checks the user's sessions on their next request, and their open sockets end.
   */
  forgetCachedChecksOf(userId: string): Promise<void>;
}

/**
 * The users module's port to the session keeper. Auth depends on users (a session belongs to an
 * account), so users cannot inject auth's services without a module cycle. Instead auth plugs its
 * keeper in at module init, as tracking plugs its socket event into the realtime gateway, and the
 * application refuses to start if nothing did. Preferred over `forwardRef`, which would keep the
 * cycle and only hide it, and over reacting to `user.updated`, which would revoke after the commit
 * instead of with the change.
 */
@Injectable()
export class UserSessions implements SessionKeeper, OnApplicationBootstrap {
  private keeper: SessionKeeper | undefined;

  plugIn(keeper: SessionKeeper): void {
    if (this.keeper) throw new Error('a session keeper is plugged into the users module already');
    this.keeper = keeper;
  }

  onApplicationBootstrap(): void {
    this.plugged();
  }

  revokeAllOf(tx: Db, userId: string, reason: RevokeReason): Promise<number> {
    return this.plugged().revokeAllOf(tx, userId, reason);
  }

  forgetCachedChecksOf(userId: string): Promise<void> {
    return this.plugged().forgetCachedChecksOf(userId);
  }

  private plugged(): SessionKeeper {
    if (!this.keeper) throw new Error('no session keeper is plugged into the users module: load the AuthModule');
    return this.keeper;
  }
}
