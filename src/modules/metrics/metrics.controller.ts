import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth/decorators.js';
import { METRICS, type Metrics } from '../../infra/metrics/metrics.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** Prometheus scrape endpoint, outside the `/api` prefix as scrapers expect. */
@ApiTags('metrics')
@Public() // scraped by Prometheus; keep /metrics off the public network
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS) private readonly metrics: Metrics) {}

  @Get()
  @Header('content-type', PROMETHEUS_TEXT)
  @ApiOperation({
    summary: 'Prometheus metrics: HTTP latency, bus and outbox, database commits, pools, sockets, dispatch',
    description: 'The Prometheus text exposition format. Public to whoever reaches it: keep it off the public network.',
  })
  @ApiOkResponse({
    description: 'Every metric, one sample per line',
    content: { [PROMETHEUS_TEXT]: { schema: { type: 'string' } } },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
