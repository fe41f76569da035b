import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { newId } from '../../common/ids.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UserCreated } from '../users/user.events.js';
import { summarize, usersRepository } from '../users/users.repository.js';
import { users } from '../users/users.tables.js';

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
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ORDO_ADMIN_EMAIL: email, ORDO_ADMIN_PASSWORD: password } = this.env;
    if (!email || !password) return;
    const passwordHash = await this.passwords.hash(password);
    const created = await this.unitOfWork.run(this.control, async (tx, emit) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('ordo:first-admin'))`);
      const [admin] = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'ADMIN')).limit(1);
      if (admin) return false;
      if (await usersRepository.emailTaken(tx, email)) {
        // Someone already holds that address (say, a customer who registered it): never promote them.
        this.log.error({ email }, 'ORDO_ADMIN_EMAIL belongs to an existing non-admin account: no admin was created');
        return false;
      }
      const user = await usersRepository.insert(tx, {
        id: newId(),
        email,
        name: 'Administrator',
        passwordHash,
        role: 'ADMIN',
      });
      await emit(UserCreated, { aggregateId: user.id, payload: { after: summarize(user) } });
      return true;
    });
    if (created) this.log.info({ email }, 'created the first admin from ORDO_ADMIN_EMAIL');
  }
}
