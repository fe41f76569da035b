import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, openApiSchema } from '../../common/http/openapi.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import { ProbesService, type Probe } from './probes.service.js';

const createProbeBody = z.strictObject({
  delayMs: z.number().int().min(0).max(60_000).default(0).describe('How long the consumer works before committing'),
  fail: z.boolean().default(false).describe('Always fail: walks the retry tiers into the dead-letter store'),
});

const probeView = z
  .object({
    id: z.uuid(),
    delayMs: z.number().int(),
    fail: z.boolean(),
    handledCount: z.number().int().describe('How many times the consumer applied this probe; 1 once handled'),
    createdAt: z.string(),
    lastHandledAt: z.string().nullable(),
  })
  .meta({ id: 'Probe' });

function view(probe: Probe): z.infer<typeof probeView> {
  return {
    ...probe,
    createdAt: new Date(probe.createdAt).toISOString(),
    lastHandledAt: probe.lastHandledAt ? new Date(probe.lastHandledAt).toISOString() : null,
  };
}

/** Operator tool: send a probe message through outbox, bus and consumer, then watch it land. */
@ApiTags('ops')
@Roles('ADMIN')
@Controller('ops/probes')
export class ProbesController {
  constructor(@Inject(ProbesService) private readonly probes: ProbesService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a probe message through the bus' })
  @ApiJsonBody(createProbeBody)
  @ApiAcceptedResponse({ schema: openApiSchema(probeView) })
  async create(@Body(new ZodValidationPipe(createProbeBody)) body: z.infer<typeof createProbeBody>) {
    return view(await this.probes.create(body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A probe and how many times it was handled' })
  @ApiJsonOk(probeView)
  @ApiProblem(404, 'No such probe')
  async find(@Param('id', new ParseUUIDPipe()) id: string) {
    const probe = await this.probes.find(id);
    if (!probe) throw new NotFoundException(`No probe ${id}`);
    return view(probe);
  }
}
