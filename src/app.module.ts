import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Logger } from 'pino';
import { ConfigModule } from './config/config.module.js';
import type { Env } from './config/env.schema.js';
import { InfraModule, type InfraOptions } from './infra/infra.module.js';
import { LoggingModule } from './infra/logging/logging.module.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { CatalogModule } from './modules/catalog/catalog.module.js';
import { CustomersModule } from './modules/customers/customers.module.js';
import { DispatchModule } from './modules/dispatch/dispatch.module.js';
import { FleetModule } from './modules/fleet/fleet.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { MessagingModule } from './modules/messaging/messaging.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { NotificationsModule } from './modules/notifications/notifications.module.js';
import { IdempotencyModule } from './modules/idempotency/idempotency.module.js';
import { OpsModule } from './modules/ops/ops.module.js';
import { OrdersModule } from './modules/orders/orders.module.js';
import { PaymentsModule } from './modules/payments/payments.module.js';
import { ProbesModule } from './modules/probes/probes.module.js';
import { RealtimeModule } from './modules/realtime/realtime.module.js';
import { RidesModule } from './modules/rides/rides.module.js';
import { TenantsModule } from './modules/tenants/tenants.module.js';
import { TrackingModule } from './modules/tracking/tracking.module.js';
import { UsersModule } from './modules/users/users.module.js';
import { ConsumerRegistry } from './runtime/consumer-registry.js';
import { SchedulerRuntime } from './runtime/scheduler.runtime.js';
import { WorkerRuntime } from './runtime/worker.runtime.js';

export type Role = 'api' | 'worker' | 'scheduler';

export function rolesOf(mode: Env['MODE']): Role[] {
  return mode === 'all' ? ['api', 'worker', 'scheduler'] : [mode];
}

/** Feature modules: loaded in every role (their consumers, jobs and services); HTTP only serves in the api role. */
const features: ModuleMetadata['imports'] = [
  HealthModule,
  OpsModule,
  ProbesModule,
  MessagingModule,
  UsersModule,
  AuthModule,
  TenantsModule,
  CatalogModule,
  CustomersModule,
  IdempotencyModule,
  PaymentsModule,
  OrdersModule,
  NotificationsModule,
  FleetModule,
  TrackingModule,
  RealtimeModule,
  DispatchModule,
  RidesModule,
  AuditModule,
];

@Module({})
export class AppModule {
  static forRoot(env: Env, logger: Logger, infra: InfraOptions = {}): DynamicModule {
    const roles = rolesOf(env.MODE);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        LoggingModule.forRoot(logger),
        DiscoveryModule,
        InfraModule.forRoot(infra),
        MetricsModule.forRoot(env),
        ...(features ?? []),
      ],
      providers: [
        ConsumerRegistry,
        ...(roles.includes('worker') ? [WorkerRuntime] : []),
        ...(roles.includes('scheduler') ? [SchedulerRuntime] : []),
      ],
    };
  }
}
