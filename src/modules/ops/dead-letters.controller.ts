import {
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../../common/auth/decorators.js';
import { ApiJsonOk, ApiProblem, ApiZodQuery } from '../../common/http/openapi.js';
import { page, paginationQuery, type PaginationQuery, pageMetaSchema } from '../../common/http/pagination.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import { DeadLetterStore, type DeadLetter } from '../../infra/bus/dead-letter-store.js';
import { DeadLetterReplays } from './dead-letter-replays.service.js';

const deadLetterView = z
  .object({
    id: z.uuid(),
    messageId: z.uuid(),
    consumer: z.string(),
    eventType: z.string(),
    tenant: z.string().nullable(),
    error: z.string(),
    attempts: z.number().int(),
    deadAt: z.string(),
    replayedAt: z.string().nullable(),
    envelope: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'DeadLetter' });

const deadLetterPage = z.object({
  data: z.array(deadLetterView),
  meta: pageMetaSchema,
});

function view(letter: DeadLetter): z.infer<typeof deadLetterView> {
  return {
    ...letter,
    envelope: letter.envelope as Record<string, unknown>,
    deadAt: new Date(letter.deadAt).toISOString(),
    replayedAt: letter.replayedAt ? new Date(letter.replayedAt).toISOString() : null,
  };
}

/** Messages that exhausted their retries: list them, then replay once the cause is fixed. */
@ApiTags('ops')
@Roles('ADMIN')
@Controller('ops/dead-letters')
export class DeadLettersController {
  constructor(
    @Inject(DeadLetterStore) private readonly deadLetters: DeadLetterStore,
    @Inject(DeadLetterReplays) private readonly replays: DeadLetterReplays,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Dead letters, newest first' })
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(deadLetterPage)
  async list(@Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery) {
    const { data, total } = await this.deadLetters.list(query.page, query.per_page);
    return page(data.map(view), query, total);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: "Put a dead letter back on its consumer's queue as a first attempt",
    description: 'Audited: emits `dead_letter.replayed` (actor: the signed-in admin).',
  })
  @ApiJsonOk(deadLetterView, 'Replayed')
  @ApiProblem(404, 'No such dead letter')
  async replay(@Param('id', new ParseUUIDPipe()) id: string) {
    const letter = await this.replays.replay(id);
    if (!letter) throw new NotFoundException(`No dead letter ${id}`);
    return view(letter);
  }
}
