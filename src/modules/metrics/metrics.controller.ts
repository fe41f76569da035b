import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../../common/auth/decorators.js';
import { METRICS, type Metrics } from '../../infra/metrics/metrics.js';

/** Prometheus scrape endpoint, outside the `/api` prefix as scrapers expect. */
@ApiExcludeController()
@Public() // scraped by Prometheus; keep /metrics off the public network
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS) private readonly metrics: Metrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
