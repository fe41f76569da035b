import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { Accounts } from '../users/accounts.js';
import { PasswordHasher } from '../users/password-hasher.js';

/**
 * With ORDO_ADMIN_EMAIL and ORDO_ADMIN_PASSWORD set, makes sure an ADMIN exists: creates that
 * account when there is no admin at all. Several processes starting at once create one: the check
 * and the insert run under a transaction-scoped advisory lock.
 */
@Injectable()
export class FirstAdmin implements OnApplicationBootstrap {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ORDO_ADMIN_EMAIL: email, ORDO_ADMIN_PASSWORD: password } = this.env;
    if (!email || !password) return;
    const passwordHash = await this.passwords.hash(password);
    const created = await this.unitOfWork.run(this.control, async (tx, emit) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('ordo:first-admin'))`);
      if (await this.accounts.adminExists(tx)) return false;
      if (await this.accounts.emailTaken(email, tx)) {
        // Someone already holds that address (say, a customer who registered it): never promote them.
        this.log.error({ email }, 'ORDO_ADMIN_EMAIL belongs to an existing non-admin account: no admin was created');
        return false;
      }
      await this.accounts.create(tx, emit, { email, name: 'Administrator', passwordHash, role: 'ADMIN' });
      return true;
    });
    if (created) this.log.info({ email }, 'created the first admin from ORDO_ADMIN_EMAIL');
  }
}
