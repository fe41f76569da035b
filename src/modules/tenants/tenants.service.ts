import { ReadyTenants } from './ready-tenants.js';
import { Inject, Injectable } from '@nestjs/common';
import { page, type Page } from '../../common/http/pagination.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { assertTenantCode } from '../../infra/database/tenant-code.js';
import { Accounts } from '../users/accounts.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { canTransition, type IllegalTransition } from './tenant-lifecycle.js';
import { TenantRequested, TenantRetried } from './tenant.events.js';
import { tenantView, type CreateTenantBody, type ListTenantsQuery, type TenantView } from './tenants.dto.js';
import { summarize, tenantsRepository, type Tenant } from './tenants.repository.js';
import { tenants } from './tenants.tables.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';

const DEFAULT_PLACEMENT = 'default';

export type CreateTenantResult = { ok: true; tenant: Tenant } | { ok: false; reason: 'code_taken' | 'email_taken' };
export type RetryTenantResult = { ok: true; tenant: Tenant } | { ok: false; reason: 'not_found' } | IllegalTransition;

/**
 * Tenant use cases on the control database. The tenant's own database is created asynchronously by
 * the `tenant-provisioner` consumer: these only record intent and emit the events that drive it.
 */
@Injectable()
export class TenantsService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(ReadyTenants) private readonly readyTenants: ReadyTenants,
  ) {}

  /**
   * Records a PROVISIONING tenant and its owner (a MERCHANT of it) and emits `tenant.requested`, all
   * in one transaction: a tenant never exists without its owner, nor an owner without its tenant.
   */
  async create(input: CreateTenantBody): Promise<CreateTenantResult> {
    // The body schema checked it already; the code becomes a database name, so check again before SQL.
    assertTenantCode(input.code);
    // Cheap checks first, so a doomed request does not pay for a deliberately slow hash.
    const early = await this.control.transaction((tx) => this.conflictOf(input, tx));
    if (early) return { ok: false, reason: early };
    // ~100 ms and 64 MiB: never while holding a transaction open.
    const passwordHash = await this.passwords.hash(input.owner.password);
    try {
      return await this.unitOfWork.run(this.control, async (tx, emit, afterCommit): Promise<CreateTenantResult> => {
        const conflict = await this.conflictOf(input, tx);
        if (conflict) return { ok: false, reason: conflict };
        // A lookup of the code before it existed may be cached as "unknown".
        afterCommit(() => this.readyTenants.forget(input.code));
        // The owner first (the tenant row refers to it); their `user.created` is filed under the tenant.
        const owner = await this.accounts.create(tx, emit, {
          email: input.owner.email,
          name: input.owner.name,
          passwordHash,
          role: 'MERCHANT',
          tenantCode: input.code,
        });
        const tenant = await tenantsRepository.insert(tx, {
          code: input.code,
          name: input.name,
          currency: input.currency,
          pickupLat: input.pickup.lat,
          pickupLng: input.pickup.lng,
          pickupAddress: input.pickup.address,
          placement: input.placement ?? DEFAULT_PLACEMENT,
          ownerUserId: owner.id,
        });
        const event = { aggregateId: tenant.code, tenant: tenant.code };
        await emit(TenantRequested, { ...event, payload: { code: tenant.code, after: summarize(tenant) } });
        return { ok: true, tenant };
      });
    } catch (error) {
      // Two requests for the same code or email at once: the unique index decides, the loser gets 409.
      if (!isUniqueViolation(error)) throw error;
      const conflict = await this.control.transaction((tx) => this.conflictOf(input, tx));
      if (!conflict) throw error;
      return { ok: false, reason: conflict };
    }
  }

  async list(query: ListTenantsQuery): Promise<Page<TenantView>> {
    const { rows, total } = await this.control.transaction((tx) =>
      tenantsRepository.page(tx, query.status, query.per_page, (query.page - 1) * query.per_page),
    );
    return page(rows.map(tenantView), query, total);
  }

  find(code: string): Promise<Tenant | undefined> {
    assertTenantCode(code);
    return this.control.read((db) => tenantsRepository.find(db, code));
  }

  /** The tenant as `actor` may see it: admins see every tenant, a merchant only its own (else undefined). */
  async findFor(actor: Actor, code: string): Promise<Tenant | undefined> {
    if (actor.role !== 'ADMIN' && actor.tenant !== code) return undefined;
    return this.find(code);
  }

  /**
   * Makes sure a platform-owned tenant exists (no owner: its staff are the ADMINs), requesting its
   * provisioning the first time. Safe to call from every process at every start.
   */
  async ensurePlatformTenant(input: { code: string; name: string; currency: string }): Promise<void> {
    assertTenantCode(input.code);
    await this.unitOfWork.run(this.control, async (tx, emit, afterCommit) => {
      const [created] = await tx
        .insert(tenants)
        .values({
          code: input.code,
          name: input.name,
          currency: input.currency,
          // Rides carry their own pickup; the tenant's is unused.
          pickupLat: 0,
          pickupLng: 0,
          pickupAddress: 'varies per order',
          placement: DEFAULT_PLACEMENT,
          ownerUserId: null,
        })
        .onConflictDoNothing()
        .returning();
      if (created) {
        afterCommit(() => this.readyTenants.forget(created.code));
        await emit(TenantRequested, {
          aggregateId: created.code,
          tenant: created.code,
          payload: { code: created.code, after: summarize(created) },
        });
      }
    });
  }

  /** FAILED → PROVISIONING, optionally on another placement, and `tenant.retried` for the provisioner. */
  async retry(code: string, placement?: string): Promise<RetryTenantResult> {
    assertTenantCode(code);
    return this.unitOfWork.run(this.control, async (tx, emit, afterCommit): Promise<RetryTenantResult> => {
      afterCommit(() => this.readyTenants.forget(code));
      const before = await tenantsRepository.findForUpdate(tx, code);
      if (!before) return { ok: false, reason: 'not_found' };
      if (!canTransition(before.status, 'PROVISIONING')) {
        return { kind: 'illegal_transition', from: before.status, to: 'PROVISIONING' };
      }
      const tenant = await tenantsRepository.transition(tx, code, before.status, 'PROVISIONING', {
        failureReason: null,
        placement: placement ?? before.placement,
      });
      await emit(TenantRetried, {
        aggregateId: code,
        tenant: code,
        payload: {
          code,
          before: { status: before.status, failureReason: before.failureReason, placement: before.placement },
          after: { status: 'PROVISIONING', placement: tenant!.placement },
        },
      });
      return { ok: true, tenant: tenant! };
    });
  }

  private async conflictOf(input: CreateTenantBody, tx: Db): Promise<'code_taken' | 'email_taken' | undefined> {
    if (await tenantsRepository.find(tx, input.code)) return 'code_taken';
    if (await this.accounts.emailTaken(input.owner.email, tx)) return 'email_taken';
    return undefined;
  }
}
