import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { RequestContextInterceptor } from '../../common/http/request-context.interceptor.js';
import { UserSessions } from '../users/user-sessions.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenVerifier } from './access-token.verifier.js';
import { AccountsService } from './accounts.service.js';
import { AccessTokens } from './access-tokens.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { FirstAdmin } from './first-admin.js';
import { LoginService } from './login.service.js';
import { AuthRateLimiter, AuthRateLimitGuard } from './rate-limit.js';
import { SessionEndings } from './session-endings.js';
import { SessionsService } from './sessions.service.js';
import { SessionStatus } from './session-status.js';

@Module({
  imports: [UsersModule],
  controllers: [AuthController],
  providers: [
    AccessTokens,
    SessionsService,
    LoginService,
    AccountsService,
    AuthRateLimiter,
    AuthRateLimitGuard,
    FirstAdmin,
    SessionStatus,
    SessionEndings,
    AccessTokenVerifier,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor },
  ],
  exports: [AccessTokens, SessionStatus, AccessTokenVerifier, SessionsService, SessionEndings],
})
export class AuthModule implements OnModuleInit {
  constructor(
    @Inject(UserSessions) private readonly userSessions: UserSessions,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {}

  /** The users module revokes sessions through these (users cannot import auth: see UserSessions). */
  onModuleInit(): void {
    this.userSessions.plugIn({
      revokeAllOf: (tx, userId, reason) => this.sessions.revokeAllOf(tx, userId, reason),
      forgetCachedChecksOf: (userId) => this.sessions.userChanged(userId),
    });
  }
}
