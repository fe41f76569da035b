import { Inject, Injectable } from '@nestjs/common';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { userView, type UserView } from '../users/account.js';
import { Accounts } from '../users/accounts.js';
import { PasswordHasher } from '../users/password-hasher.js';
import type { RegisterBody } from './auth.dto.js';
import { SessionsService, type Device, type TokenPair } from './sessions.service.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';

/** Sign-up refused: an account (deleted ones included) already uses this email, in any case. */
export class EmailTakenError extends Error {
  constructor() {
    super('email taken');
  }
}

/** The signed-in user's own account: customer self-signup and the profile. */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {}

  /**
   * A new CUSTOMER, signed in at once: the user, its first session and their events commit together.
   * The cheap email check runs before the (deliberately slow) hashing; the unique index catches two
   * sign-ups racing for one email.
   */
  async register(body: RegisterBody, device: Device): Promise<TokenPair> {
    if (await this.accounts.emailTaken(body.email)) throw new EmailTakenError();
    const passwordHash = await this.passwords.hash(body.password);
    try {
      return await this.unitOfWork.run(this.control, async (tx, emit) => {
        const { email, name, phone } = body;
        const account = await this.accounts.register(tx, emit, { email, name, phone, passwordHash });
        return this.sessions.open(tx, emit, account, device);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async profile(userId: string): Promise<UserView | undefined> {
    const account = await this.accounts.findById(userId);
    return account ? userView(account) : undefined;
  }
}
