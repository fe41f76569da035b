import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '../../config/env.schema.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsListener } from './metrics-listener.js';

/** GET /metrics on the main port, or — with METRICS_PORT — on a listener of its own and not on the main port. */
@Module({})
export class MetricsModule {
  static forRoot(env: Env): DynamicModule {
    const separate = env.METRICS_PORT !== undefined;
    return {
      module: MetricsModule,
      controllers: separate ? [] : [MetricsController],
      providers: separate ? [MetricsListener] : [],
      exports: separate ? [MetricsListener] : [],
    };
  }
}
