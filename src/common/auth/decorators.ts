import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Actor } from '../request-context.js';
import type { Role } from './roles.js';
import { PROBLEM_CONTENT_TYPE } from '../http/problem.js';
import { problemSchema } from '../http/openapi.js';

export const PUBLIC_METADATA = 'ordo:public';
export const ROLES_METADATA = 'ordo:roles';

const problem = { content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };

/** No token needed (sign-up, sign-in, health, webhooks). Every other route requires one. */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_METADATA, true), ApiExtension('x-auth', 'none'));

/**
 * Signed in with one of these roles (none given: any role). Documents the bearer requirement,
 * the roles, and the 401/403 answers in OpenAPI.
 */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_METADATA, roles),
    ApiBearerAuth(),
    ApiExtension('x-roles', roles.length ? roles : ['any signed-in user']),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired access token', ...problem }),
    ...(roles.length ? [ApiForbiddenResponse({ description: `Requires role ${roles.join(' or ')}`, ...problem })] : []),
  );

/** The signed-in user of this request (guaranteed on non-public routes). */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('CurrentActor used on a route without authentication');
  return request.actor;
});
