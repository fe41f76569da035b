import { Body, Controller, Get, Inject, Patch } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem } from '../../common/http/openapi.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { userViewSchema } from '../users/users.dto.js';
import { UsersService } from '../users/users.service.js';
import { updateProfileBody, type UpdateProfileBody } from './customers.dto.js';

/** The signed-in user's own profile: what they may change about themselves (name and phone). */
@ApiTags('customers')
@Roles()
@Controller('me')
export class MeController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Your profile (the same as GET /api/auth/profile)' })
  @ApiJsonOk(userViewSchema)
  @ApiProblem(404, 'The account of this token was deleted')
  get(@CurrentActor() actor: Actor) {
    return this.users.get(actor.id);
  }

  @Patch()
  @ApiOperation({ summary: 'Change your name or phone', description: 'Emits `user.updated`.' })
  @ApiJsonBody(updateProfileBody)
  @ApiJsonOk(userViewSchema)
  @ApiProblem(404, 'The account of this token was deleted')
  update(@CurrentActor() actor: Actor, @Body(new ZodValidationPipe(updateProfileBody)) body: UpdateProfileBody) {
    // Only name and phone: nothing that would change what the user's tokens say or may do.
    return this.users.update(actor, actor.id, body);
  }
}
