import { ReadyTenants } from './ready-tenants.js';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import {
  TENANT_DATABASES,
  type TenantDatabases,
  type TenantMigration,
} from '../../infra/database/tenant-databases.port.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { TenantFailed, TenantReady, TenantRequested, TenantRetried } from './tenant.events.js';
import { tenantsRepository } from './tenants.repository.js';

/** What `prepare` found out, for `handle` to record. */
type Outcome =
  | { kind: 'provisioned'; migration: TenantMigration }
  | { kind: 'failed'; reason: string }
  /** The tenant is gone or no longer PROVISIONING (a stale or repeated message): nothing to do. */
  | { kind: 'skipped' };

const MAX_REASON_LENGTH = 1_000;

/**
 * Creates and migrates a requested (or retried) tenant's database, then records READY or FAILED.
 *
 * The slow, non-transactional part — `TenantDatabases.provision`, which is idempotent — runs in
 * `prepare()`, outside the inbox transaction: embedded, provisioning runs on the same single-connection
 * PGlite, so doing it inside the transaction would deadlock, and on PostgreSQL it would hold a control
 * connection for the whole CREATE DATABASE + migration.
 *
 * A provisioning error is caught in `prepare()` and recorded by `handle()` as FAILED with its reason,
 * and the message completes. It is not rethrown: a tenant that cannot be provisioned (an unknown
 * placement, a server refusing CREATE DATABASE) would otherwise walk every retry tier into the
 * dead-letter store while still saying PROVISIONING. FAILED is visible, carries the reason, and is
 * retried deliberately with `POST /api/tenants/:code/retry`. Errors while recording the outcome (the
 * control database) are thrown as usual, so the bus retries those.
 *
 * Redelivery is harmless: provisioning is idempotent, and each status change only applies to a tenant
 * that is still PROVISIONING (the inbox also drops exact duplicates).
 */
@Injectable()
@Consumer({ name: 'tenant-provisioner', events: [TenantRequested, TenantRetried], scope: 'control' })
export class TenantProvisioner implements MessageHandler<{ code: string }, Outcome> {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(TENANT_DATABASES) private readonly databases: TenantDatabases,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(ReadyTenants) private readonly readyTenants: ReadyTenants,
  ) {}

  /** Provisions outside the inbox transaction; what happened reaches `handle` as `context.prepared`. */
  async prepare({ code }: { code: string }): Promise<Outcome> {
    const tenant = await this.control.read((db) => tenantsRepository.find(db, code));
    if (!tenant || tenant.status !== 'PROVISIONING') return { kind: 'skipped' };
    try {
      const migration = await this.databases.provision(code, tenant.placement);
      return { kind: 'provisioned', migration };
    } catch (error) {
      this.log.warn({ tenant: code, placement: tenant.placement, err: error }, 'tenant provisioning failed');
      return { kind: 'failed', reason: reasonOf(error) };
    }
  }

  async handle(
    { code }: { code: string },
    { tx, emit, afterCommit, prepared: outcome }: HandlerContext<Outcome>,
  ): Promise<void> {
    const event = { aggregateId: code, tenant: code };
    // READY or FAILED: every process must stop answering the tenant's lookups from the cache.
    afterCommit(() => this.readyTenants.forget(code));
    switch (outcome.kind) {
      case 'skipped':
        return;
      case 'provisioned': {
        const { version, placement } = outcome.migration;
        const ready = await tenantsRepository.transition(tx, code, 'PROVISIONING', 'READY', {
          schemaVersion: version,
          placement,
          failureReason: null,
          readyAt: sql`now()`,
        });
        if (!ready) return;
        await emit(TenantReady, {
          ...event,
          payload: {
            code,
            before: { status: 'PROVISIONING' },
            after: { status: 'READY', schemaVersion: version, placement },
          },
        });
        this.log.info({ tenant: code, placement, version }, 'tenant ready');
        return;
      }
      case 'failed': {
        const failed = await tenantsRepository.transition(tx, code, 'PROVISIONING', 'FAILED', {
          failureReason: outcome.reason,
        });
        if (!failed) return;
        await emit(TenantFailed, {
          ...event,
          payload: {
            code,
            before: { status: 'PROVISIONING' },
            after: { status: 'FAILED', failureReason: outcome.reason },
          },
        });
        return;
      }
    }
  }
}

/** The error's message (and its causes'), bounded: shown to admins, so never a stack. */
function reasonOf(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 3; depth++) {
    if (!(current instanceof Error)) {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      break;
    }
    parts.push(current.message);
    current = current.cause;
  }
  const reason = parts.filter(Boolean).join(': ') || 'unknown error';
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
}
