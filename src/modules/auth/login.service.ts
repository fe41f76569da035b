import { Inject, Injectable } from '@nestjs/common';
import { Accounts } from '../users/accounts.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { AuthRateLimiter } from './rate-limit.js';
import { SessionsService, type Device, type TokenPair } from './sessions.service.js';

/** Email + password → a new session; null when they do not match an active account. */
@Injectable()
export class LoginService {
  constructor(
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(AuthRateLimiter) private readonly limits: AuthRateLimiter,
  ) {}

  async login(email: string, password: string, device: Device): Promise<TokenPair | null> {
    const user = await this.accounts.findByEmail(email);
    // An unknown email costs the same hashing time as a wrong password: timing tells nothing.
    const matches = user
      ? await this.passwords.verify(user.passwordHash, password)
      : await this.passwords.verifyNothing(password);
    if (!user || !matches || user.status !== 'ACTIVE') {
      await this.limits.loginFailed(email, device.ip);
      return null;
    }
    await this.limits.loginSucceeded(email, device.ip);
    return this.sessions.start(user, device);
  }
}
