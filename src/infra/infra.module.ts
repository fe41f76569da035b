import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { ENV } from '../config/config.module.js';
import type { Env } from '../config/env.schema.js';
import { BUS, type BusPort } from './bus/bus.port.js';
import { DeadLetterStore } from './bus/dead-letter-store.js';
import { InboxProcessor } from './bus/inbox-processor.js';
import { OutboxRelay } from './bus/outbox-relay.js';
import { UnitOfWork } from './bus/unit-of-work.js';
import { CACHE, type CachePort } from './cache/cache.port.js';
import { CONTROL_DATABASE, type SqlDatabase } from './database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from './database/tenant-databases.port.js';
import { GEO_INDEX, type GeoIndexPort } from './geo/geo.port.js';
import {
  createBus,
  createCache,
  createGeoIndex,
  createTenantDatabases,
  openControlDatabase,
} from './infra.factories.js';
import { CLOCK, systemClock, type Clock } from '../common/clock.js';
import { LOGGER } from './logging/logger.js';
import { METRICS, Metrics } from './metrics/metrics.js';

/**
 * Every port with the adapter the environment selects. Feature modules inject the tokens
 * (CONTROL_DATABASE, TENANT_DATABASES, BUS, CACHE, GEO_INDEX) or the services built on them, never a driver.
 */
export interface InfraOptions {
  /** A control database opened (and migrated) by the caller, who also closes it: tests share one. */
  controlDatabase?: SqlDatabase;
  /** Business time (default: the system clock); tests pass one they can move. */
  clock?: Clock;
}

const OWNS_CONTROL_DATABASE = Symbol('OWNS_CONTROL_DATABASE');

@Global()
@Module({
  providers: [
    {
      provide: METRICS,
      inject: [ENV],
      useFactory: (env: Env) => new Metrics({ tenantLabels: env.METRICS_TENANT_LABELS }),
    },
    {
      provide: TENANT_DATABASES,
      inject: [ENV, CONTROL_DATABASE, LOGGER, METRICS],
      useFactory: createTenantDatabases,
    },
    { provide: BUS, inject: [ENV, CONTROL_DATABASE, LOGGER], useFactory: createBus },
    { provide: CACHE, inject: [ENV, LOGGER], useFactory: createCache },
    // Not in readiness: it shares the cache's Redis, which the cache already reports.
    { provide: GEO_INDEX, inject: [ENV, LOGGER], useFactory: createGeoIndex },
    {
      provide: OutboxRelay,
      inject: [BUS, LOGGER, METRICS],
      useFactory: (bus: BusPort, log: Logger, metrics: Metrics) => new OutboxRelay(bus, log, metrics),
    },
    {
      provide: UnitOfWork,
      inject: [OutboxRelay, LOGGER],
      useFactory: (relay: OutboxRelay, log: Logger) => new UnitOfWork(relay, log),
    },
    {
      provide: DeadLetterStore,
      inject: [CONTROL_DATABASE, BUS, METRICS],
      useFactory: (control: SqlDatabase, bus: BusPort, metrics: Metrics) => new DeadLetterStore(control, bus, metrics),
    },
    {
      provide: InboxProcessor,
      inject: [CONTROL_DATABASE, TENANT_DATABASES, UnitOfWork, LOGGER, METRICS],
      useFactory: (control: SqlDatabase, tenants: TenantDatabases, uow: UnitOfWork, log: Logger, metrics: Metrics) =>
        new InboxProcessor(control, tenants, uow, log, metrics),
    },
  ],
  exports: [METRICS, TENANT_DATABASES, BUS, CACHE, GEO_INDEX, OutboxRelay, UnitOfWork, DeadLetterStore, InboxProcessor],
})
export class InfraModule implements OnApplicationShutdown {
  static forRoot(options: InfraOptions = {}): DynamicModule {
    const given = options.controlDatabase;
    const control: Provider = given
      ? { provide: CONTROL_DATABASE, useValue: given }
      : {
          provide: CONTROL_DATABASE,
          inject: [ENV, LOGGER, METRICS],
          useFactory: (env: Env, log: Logger, metrics: Metrics) => openControlDatabase(env, log, metrics),
        };
    return {
      module: InfraModule,
      providers: [
        control,
        { provide: OWNS_CONTROL_DATABASE, useValue: !given },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
      ],
      exports: [CONTROL_DATABASE, CLOCK],
    };
  }

  constructor(
    @Inject(OWNS_CONTROL_DATABASE) private readonly ownsControl: boolean,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(TENANT_DATABASES) private readonly tenants: TenantDatabases,
    @Inject(BUS) private readonly bus: BusPort,
    @Inject(CACHE) private readonly cache: CachePort,
    @Inject(GEO_INDEX) private readonly geo: GeoIndexPort,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
  ) {}

  /** Runs after the HTTP server and the role runtimes have stopped: publish what is pending, then close. */
  async onApplicationShutdown(): Promise<void> {
    await this.relay.idle();
    await this.bus.close();
    await this.cache.close();
    await this.geo.close();
    await this.tenants.close();
    if (this.ownsControl) await this.control.close();
  }
}
