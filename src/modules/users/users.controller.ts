import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import {
  createUserBody,
  listUsersQuery,
  updateUserBody,
  userPageSchema,
  userViewSchema,
  type CreateUserBody,
  type ListUsersQuery,
  type UpdateUserBody,
} from './users.dto.js';
import { UsersService } from './users.service.js';

const userId = () =>
  new ParseUUIDPipe({
    exceptionFactory: () => ProblemException.validation([{ field: 'id', message: 'must be a UUID' }]),
  });

/** Documents the `:id` path parameter and its 400. */
const ApiUserId = () =>
  applyDecorators(
    ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } }),
    ApiProblem(400, 'id is not a UUID, or the body or query is invalid'),
  );

/** Platform accounts, for admins: every role, merchants bound to their tenant. */
@ApiTags('users')
@Roles('ADMIN')
@Controller('users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create an account of any role (a MERCHANT needs the tenantCode of an existing tenant)' })
  @ApiJsonBody(createUserBody)
  @ApiCreatedResponse({ description: 'Created', schema: openApiSchema(userViewSchema) })
  @ApiProblem(409, 'The email is taken (whatever its case, deleted accounts included)')
  create(@Body(new ZodValidationPipe(createUserBody)) body: CreateUserBody) {
    return this.users.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Accounts, oldest first; filter by role, status, or part of the email or name' })
  @ApiZodQuery(listUsersQuery)
  @ApiJsonOk(userPageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@Query(new ZodValidationPipe(listUsersQuery)) query: ListUsersQuery) {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account' })
  @ApiUserId()
  @ApiJsonOk(userViewSchema)
  @ApiProblem(404, 'No such user (or deleted)')
  get(@Param('id', userId()) id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change name, phone, role, tenant or status',
    description:
      'Disabling, or changing the role or tenant, revokes all of the user’s sessions at once: their access tokens ' +
      'stop working on the next request and they sign in again. An admin cannot change their own role or status.',
  })
  @ApiJsonBody(updateUserBody)
  @ApiUserId()
  @ApiJsonOk(userViewSchema)
  @ApiProblem(404, 'No such user (or deleted)')
  @ApiProblem(409, 'An admin cannot disable or demote themselves')
  update(
    @CurrentActor() actor: Actor,
    @Param('id', userId()) id: string,
    @Body(new ZodValidationPipe(updateUserBody)) body: UpdateUserBody,
  ) {
    return this.users.update(actor, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an account (soft: its email stays reserved) and revoke its sessions',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiUserId()
  @ApiProblem(404, 'No such user (or already deleted)')
  @ApiProblem(409, 'An admin cannot delete themselves')
  async remove(@CurrentActor() actor: Actor, @Param('id', userId()) id: string): Promise<void> {
    await this.users.remove(actor, id);
  }
}
