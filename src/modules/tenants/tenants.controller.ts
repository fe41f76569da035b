import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { TENANT_CODE_PATTERN } from '../../infra/database/tenant-code.js';
import { TenantCodePipe } from './tenant-code.pipe.js';
import { emailTaken, illegalTransition, tenantCodeTaken, tenantNotFound } from './tenant-problems.js';
import {
  createTenantBody,
  listTenantsQuery,
  retryTenantBody,
  tenantPageSchema,
  tenantView,
  tenantViewSchema,
  type CreateTenantBody,
  type ListTenantsQuery,
  type RetryTenantBody,
} from './tenants.dto.js';
import { TenantsService } from './tenants.service.js';

const codeParam = ApiParam({ name: 'code', schema: { type: 'string', pattern: TENANT_CODE_PATTERN.source } });

@ApiTags('tenants')
@Controller('tenants')
export class TenantsController {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  @Post()
  @Roles('ADMIN')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Request a tenant: its owner is created now, its database asynchronously',
    description:
      'Answers PROVISIONING at once; poll `GET /api/tenants/:code` until READY (or FAILED, with the reason). ' +
      'Emits `tenant.requested`, then `tenant.ready` or `tenant.failed`.',
  })
  @ApiJsonBody(createTenantBody)
  @ApiAcceptedResponse({ description: 'The tenant, PROVISIONING', schema: openApiSchema(tenantViewSchema) })
  @ApiProblem(409, 'The code, or the owner’s email, is taken')
  async create(@Body(new ZodValidationPipe(createTenantBody)) body: CreateTenantBody) {
    const result = await this.tenants.create(body);
    if (result.ok) return tenantView(result.tenant);
    switch (result.reason) {
      case 'code_taken':
        throw tenantCodeTaken(body.code);
      case 'email_taken':
        throw emailTaken('owner.email');
    }
  }

  @Get()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Every tenant, oldest first, optionally by status' })
  @ApiZodQuery(listTenantsQuery)
  @ApiJsonOk(tenantPageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@Query(new ZodValidationPipe(listTenantsQuery)) query: ListTenantsQuery) {
    return this.tenants.list(query);
  }

  @Get(':code')
  @Roles('ADMIN', 'MERCHANT')
  @codeParam
  @ApiOperation({ summary: 'A tenant: status, failure reason, schema version (ADMIN, or a MERCHANT of it)' })
  @ApiJsonOk(tenantViewSchema)
  @ApiProblem(400, 'Malformed tenant code')
  @ApiProblem(404, 'No such tenant, or not the caller’s')
  async find(@Param('code', new TenantCodePipe('code')) code: string, @CurrentActor() actor: Actor) {
    const tenant = await this.tenants.findFor(actor, code);
    if (!tenant) throw tenantNotFound(code);
    const view = tenantView(tenant);
    // The raw failure reason can name servers and database roles: operators' business, not merchants'.
    if (actor.role !== 'ADMIN' && view.failureReason)
      view.failureReason = 'Provisioning failed; an administrator has the details.';
    return view;
  }

  @Post(':code/retry')
  @Roles('ADMIN')
  @HttpCode(202)
  @codeParam
  @ApiOperation({
    summary: 'Retry a FAILED tenant’s provisioning (optionally on another placement)',
    description: 'FAILED → PROVISIONING and `tenant.retried`; any other status is a 409 naming `from` and `to`.',
  })
  @ApiBody({ required: false, schema: openApiSchema(retryTenantBody, 'input') })
  @ApiAcceptedResponse({ description: 'The tenant, PROVISIONING again', schema: openApiSchema(tenantViewSchema) })
  @ApiProblem(400, 'Malformed tenant code or body')
  @ApiProblem(404, 'No such tenant')
  @ApiProblem(409, 'The tenant is not FAILED')
  async retry(
    @Param('code', new TenantCodePipe('code')) code: string,
    @Body(new ZodValidationPipe(retryTenantBody)) body: RetryTenantBody,
  ) {
    const result = await this.tenants.retry(code, body.placement);
    if ('kind' in result) throw illegalTransition(code, result.from, result.to);
    if (!result.ok) throw tenantNotFound(code);
    return tenantView(result.tenant);
  }
}
