import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';
import { TenantProvisioner } from './tenant-provisioner.consumer.js';
import { ReadyTenants } from './ready-tenants.js';
import { TenantScopeGuard } from './tenant-scope.js';
import { TenantsController } from './tenants.controller.js';
import { TenantsService } from './tenants.service.js';

/**
 * Tenants: requesting, provisioning (the `tenant-provisioner` consumer) and retrying them, their staff,
 * and the tenant scope every `/api/tenants/:tenantCode/…` route runs in. Feature modules with
 * tenant-scoped routes import this module for `TenantScopeGuard` (applied by `@TenantScoped()`).
 */
@Module({
  imports: [UsersModule],
  controllers: [TenantsController, MembersController],
  providers: [TenantsService, MembersService, TenantProvisioner, TenantScopeGuard, ReadyTenants],
  exports: [TenantsService, TenantScopeGuard, ReadyTenants],
})
export class TenantsModule {}
