import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { paginationQuery, type PaginationQuery } from '../../common/http/pagination.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { userView } from '../users/account.js';
import { MembersService } from './members.service.js';
import { emailTaken, ownerOnly } from './tenant-problems.js';
import { CurrentTenant, TenantScoped, type TenantContext } from './tenant-scope.js';
import { createMemberBody, memberPageSchema, memberViewSchema, type CreateMemberBody } from './tenants.dto.js';

@ApiTags('tenants')
@TenantScoped()
@Controller('tenants/:tenantCode/members')
export class MembersController {
  constructor(@Inject(MembersService) private readonly members: MembersService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's staff (its MERCHANT accounts), paginated" })
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(memberPageSchema)
  list(@CurrentTenant() tenant: TenantContext, @Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery) {
    return this.members.list(tenant, query);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Add a MERCHANT to the tenant (its owner or an admin)',
    description: 'Emits `user.created`.',
  })
  @ApiJsonBody(createMemberBody)
  @ApiCreatedResponse({ description: 'The new member', schema: openApiSchema(memberViewSchema) })
  @ApiProblem(403, 'Not ADMIN or MERCHANT, or a MERCHANT who is not the tenant’s owner')
  @ApiProblem(409, 'The email is taken, or the tenant is not READY')
  async add(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantContext,
    @Body(new ZodValidationPipe(createMemberBody)) body: CreateMemberBody,
  ) {
    const result = await this.members.add(actor, tenant, body);
    if (result.ok) return userView(result.user);
    switch (result.reason) {
      case 'not_owner':
        throw ownerOnly(tenant.code);
      case 'email_taken':
        throw emailTaken('email');
    }
  }
}
