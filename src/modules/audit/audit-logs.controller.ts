import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../../common/auth/decorators.js';
import { ApiJsonOk, ApiProblem, ApiZodQuery } from '../../common/http/openapi.js';
import { page, paginationQuery, pageMetaSchema } from '../../common/http/pagination.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import { AuditLogsService, type AuditEntry } from './audit-logs.service.js';

const text = (description: string) => z.string().min(1).max(200).optional().describe(description);
const instant = (description: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional()
    .describe(description);

export const auditLogQuery = paginationQuery
  .extend({
    actor: text('Actor id: a user id, or `consumer:<name>` for events a consumer emitted'),
    entity: text('Entity kind: the part of the action before the dot, e.g. `user`, `tenant`'),
    entityId: text('Id of the entity the entry is about'),
    tenant: text('Tenant code'),
    action: text('Event type, e.g. `user.created`'),
    from: instant('Entries that occurred at or after this ISO 8601 timestamp'),
    to: instant('Entries that occurred before this ISO 8601 timestamp'),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    path: ['to'],
    message: '`to` must not be before `from`',
  });

type AuditLogQuery = z.infer<typeof auditLogQuery>;

const auditEntryView = z
  .object({
    id: z.uuid().describe('The id of the event the entry records'),
    occurredAt: z.string(),
    actorId: z.string().nullable().describe('User id, `consumer:<name>`, or null (the platform itself, or anonymous)'),
    actorRole: z.string().nullable().describe('ADMIN, MERCHANT, CUSTOMER, DRIVER, SYSTEM, or null (anonymous)'),
    action: z.string(),
    entity: z.string(),
    entityId: z.string(),
    tenant: z.string().nullable(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    summary: z.unknown().describe('`{ before, after }` where the event carries them, else the event payload'),
    recordedAt: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const auditLogPage = z.object({
  data: z.array(auditEntryView),
  meta: pageMetaSchema,
});

function view(entry: AuditEntry): z.infer<typeof auditEntryView> {
  return {
    ...entry,
    occurredAt: new Date(entry.occurredAt).toISOString(),
    recordedAt: new Date(entry.recordedAt).toISOString(),
  };
}

/** The append-only trail of every domain event: who did what to which entity, from where. */
@ApiTags('audit')
@Roles('ADMIN')
@Controller('audit-logs')
export class AuditLogsController {
  constructor(@Inject(AuditLogsService) private readonly auditLogs: AuditLogsService) {}

  @Get()
  @ApiOperation({
    summary: 'Audit entries, newest first',
    description:
      'Written asynchronously by the audit-recorder consumer, one per domain event, so an entry appears shortly ' +
      'after the change that caused it. Filters combine with AND; `from` is inclusive, `to` exclusive.',
  })
  @ApiZodQuery(auditLogQuery)
  @ApiJsonOk(auditLogPage)
  @ApiProblem(400, 'Invalid or unknown query parameter')
  async list(@Query(new ZodValidationPipe(auditLogQuery)) query: AuditLogQuery) {
    const { page: pageNumber, per_page: perPage, ...filter } = query;
    const { data, total } = await this.auditLogs.list(filter, pageNumber, perPage);
    return page(data.map(view), query, total);
  }
}
