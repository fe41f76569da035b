import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiParam } from '@nestjs/swagger';
import { Roles } from '../../common/auth/decorators.js';
import type { Role } from '../../common/auth/roles.js';
import { ApiProblem } from '../../common/http/openapi.js';
import type { Actor } from '../../common/request-context.js';
import { isTenantCode, TENANT_CODE_PATTERN } from '../../infra/database/tenant-code.js';
import { invalidTenantCode, tenantNotFound, tenantNotReady } from './tenant-problems.js';
import { ReadyTenants, type TenantContext } from './ready-tenants.js';

/** The tenant a `/api/tenants/:tenantCode/…` request acts in, resolved and checked by `TenantScopeGuard`. */
export type { TenantContext } from './ready-tenants.js';

export interface TenantScopeOptions {
  /**
   * Roles let in besides the tenant's staff (ADMIN, and MERCHANTs of this tenant), e.g. CUSTOMER for
   * catalog reads. They see only READY tenants: any other tenant is a 404 to them.
   */
  allow?: Exclude<Role, 'ADMIN' | 'MERCHANT'>[];
  /**
   * false: only the `allow` roles, not the tenant's staff (placing an order is a customer's act).
   * Default true.
   */
  staff?: boolean;
}

export const TENANT_PARAM = 'tenantCode';
const TENANT_SCOPE_METADATA = 'ordo:tenant-scope';

type ScopedRequest = { params?: Record<string, unknown>; actor?: Actor; tenant?: TenantContext };

/**
 * Guards a tenant-scoped route, after the global auth guard has identified the actor:
 *
 * 1. a malformed `:tenantCode` → 400, before any SQL;
 * 2. a MERCHANT of another tenant → 404 (never revealing that the tenant exists), as is an unknown tenant;
 * 3. a tenant that is not READY → 409 for its staff (PROVISIONING, FAILED, SUSPENDED), 404 for others;
 * 4. otherwise the tenant and its database handle are attached for `@CurrentTenant()`.
 *
 * Roles outside staff and `allow` were already refused with 403 by `@Roles`, which `@TenantScoped` applies.
 */
@Injectable()
export class TenantScopeGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScopedRequest>();
    const options =
      this.reflector.getAllAndOverride<TenantScopeOptions | undefined>(TENANT_SCOPE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    const actor = request.actor;
    if (!actor) throw new Error('TenantScopeGuard ran without an authenticated actor (is the route @Public?)');

    const code = request.params?.[TENANT_PARAM];
    if (!isTenantCode(code)) throw invalidTenantCode(TENANT_PARAM);

    const staff =
      options.staff !== false && (actor.role === 'ADMIN' || (actor.role === 'MERCHANT' && actor.tenant === code));
    const visitor = !staff && (options.allow ?? []).some((role) => role === actor.role);
    // A merchant of another tenant learns nothing, not even whether this one exists.
    if (!staff && !visitor) throw tenantNotFound(code);

    const found = await this.tenants.lookup(code);
    if (!found.ok) {
      throw staff && found.status !== 'UNKNOWN' ? tenantNotReady(code, found.status) : tenantNotFound(code);
    }
    request.tenant = found.tenant;
    return true;
  }
}

/**
 * Marks a controller or route as acting inside the tenant named by `:tenantCode`: ADMIN and the
 * tenant's MERCHANTs (plus `allow`), only while the tenant is READY. Documents all of it in OpenAPI.
 * Modules using it import TenantsModule, which exports the guard.
 */
export const TenantScoped = (options: TenantScopeOptions = {}) => {
  // Roles() with no roles means "any signed-in user": never what a route without staff means.
  if (options.staff === false && !options.allow?.length) throw new Error('@TenantScoped({ staff: false }) needs allow');
  return applyDecorators(
    Roles(...(options.staff === false ? [] : (['ADMIN', 'MERCHANT'] as const)), ...(options.allow ?? [])),
    SetMetadata(TENANT_SCOPE_METADATA, options),
    UseGuards(TenantScopeGuard),
    ApiParam({
      name: TENANT_PARAM,
      description: 'The tenant this request acts in',
      schema: { type: 'string', pattern: TENANT_CODE_PATTERN.source },
    }),
    ApiProblem(400, 'Malformed tenant code (or body)'),
    ApiProblem(404, 'No such tenant, or not one the caller belongs to'),
    ApiProblem(409, 'The tenant is not READY: still provisioning, failed, or suspended'),
  );
};

/** The tenant of a `@TenantScoped` route: code, name, currency and its database handle. */
export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): TenantContext => {
  const tenant = context.switchToHttp().getRequest<ScopedRequest>().tenant;
  if (!tenant) throw new Error('CurrentTenant used on a route without @TenantScoped()');
  return tenant;
});
