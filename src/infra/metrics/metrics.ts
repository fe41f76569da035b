import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayObserver } from '../bus/outbox-relay.js';
import type { DeliveryObserver } from '../bus/inbox-processor.js';
import type { DeadLetterObserver } from '../bus/dead-letter-store.js';
import type { DatabaseRole, SqlDatabase, SqlObserver } from '../database/sql-database.js';

export const METRICS = Symbol('METRICS');

export interface MetricsOptions {
  /**
   * Label per-database series with each tenant database's name (METRICS_TENANT_LABELS). Off by default:
   * the names carry tenant codes, so a scrape would list every merchant — and the series grow with them.
   */
  tenantLabels?: boolean;
}

/** The `database` label of every tenant database when tenants are not named: their worst value. */
export const ALL_TENANTS = 'tenants';

/** Every Prometheus instrument Ordo exports, on a registry of its own (no global state between apps in tests). */
export class Metrics implements RelayObserver, DeliveryObserver, DeadLetterObserver, SqlObserver {
  readonly registry = new Registry();
  private readonly tenantLabels: boolean;
  /** The last lag seen per tenant database, when tenants are not named: the gauge shows their maximum. */
  private readonly tenantLags = new Map<string, number>();

  readonly httpDuration = new Histogram({
    name: 'ordo_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly busPublished = new Counter({
    name: 'ordo_bus_published_total',
    help: 'Events published from an outbox to the bus',
    registers: [this.registry],
  });

  readonly busConsumed = new Counter({
    name: 'ordo_bus_consumed_total',
    help: 'Messages delivered to consumers, by outcome (handled, duplicate, failed)',
    labelNames: ['consumer', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly busDeadLettered = new Counter({
    name: 'ordo_bus_dead_lettered_total',
    help: 'Messages moved to the dead-letter store after their last retry',
    labelNames: ['consumer', 'type'] as const,
    registers: [this.registry],
  });

  readonly outboxLag = new Gauge({
    name: 'ordo_outbox_lag_seconds',
    help:
      'Age of the oldest unpublished outbox event as of the last sweep: database="control", and the oldest ' +
      `of all tenant databases as database="${ALL_TENANTS}" (each tenant database by name with METRICS_TENANT_LABELS=true)`,
    labelNames: ['database'] as const,
    registers: [this.registry],
  });

  readonly tenantPoolsOpen = new Gauge({
    name: 'ordo_tenant_pools_open',
    help: 'Tenant database connection pools open in this process',
    registers: [this.registry],
  });

  readonly sqlStatements = new Counter({
    name: 'ordo_db_statements_total',
    help: 'SQL statements sent (BEGIN and COMMIT included), by database role (control, tenant) and what they were for',
    labelNames: ['role', 'origin'] as const,
    registers: [this.registry],
  });

  readonly sqlCommits = new Counter({
    name: 'ordo_db_commits_total',
    help: 'Commits (explicit transactions and statements run on their own), by database role and what they were for',
    labelNames: ['role', 'origin'] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    this.tenantLabels = options.tenantLabels ?? false;
    collectDefaultMetrics({ register: this.registry, prefix: 'ordo_' });
  }

  published(count: number): void {
    this.busPublished.inc(count);
  }
  lag(database: Pick<SqlDatabase, 'name' | 'role'>, seconds: number): void {
    if (database.role === 'control') return this.outboxLag.set({ database: 'control' }, seconds);
    if (this.tenantLabels) return this.outboxLag.set({ database: database.name }, seconds);
    this.tenantLags.set(database.name, seconds);
    this.outboxLag.set({ database: ALL_TENANTS }, Math.max(...this.tenantLags.values()));
  }
  consumed(consumer: string, type: string, outcome: 'handled' | 'duplicate' | 'failed'): void {
    this.busConsumed.inc({ consumer, type, outcome });
  }
  statements(role: DatabaseRole, origin: string, count: number): void {
    this.sqlStatements.inc({ role, origin }, count);
  }
  committed(role: DatabaseRole, origin: string): void {
    this.sqlCommits.inc({ role, origin });
  }
  deadLettered(consumer: string, type: string): void {
    this.busDeadLettered.inc({ consumer, type });
  }
}
