import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/decorators.js';
import { BUS, type BusPort } from '../../infra/bus/bus.port.js';
import { CACHE, type CachePort } from '../../infra/cache/cache.port.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';

/** Liveness (the process answers) and readiness (database, bus and cache each reachable). Public. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(CONTROL_DATABASE) private readonly database: SqlDatabase,
    @Inject(BUS) private readonly bus: BusPort,
    @Inject(CACHE) private readonly cache: CachePort,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database, bus and cache each reported; 503 when one is down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.probe('database', this.database.kind, () => this.database.ping().then(() => true)),
        () =>
          this.probe(
            'bus',
            this.bus.kind,
            () => this.bus.isHealthy(),
            () => this.bus.unhealthyBecause?.(),
          ),
        () => this.probe('cache', this.cache.kind, () => this.cache.isHealthy()),
      ]);
    } catch (error) {
      // Terminus throws with the full report when a check is down; answer that report with 503.
      const report = (error as { getResponse?: () => unknown }).getResponse?.();
      if (!report) throw error;
      void reply.status(503);
      return report as HealthCheckResult;
    }
  }

  private async probe(key: string, adapter: string, check: () => Promise<boolean>, why?: () => string | undefined) {
    const indicator = this.indicators.check(key);
    const ok = await Promise.race([
      check().catch(() => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref()),
    ]);
    if (ok) return indicator.up({ adapter });
    const reason = why?.();
    return indicator.down({ adapter, ...(reason ? { reason } : {}) });
  }
}
