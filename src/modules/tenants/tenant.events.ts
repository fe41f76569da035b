import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';
import { TENANT_CODE_PATTERN } from '../../infra/database/tenant-code.js';
import { TENANT_STATUSES } from './tenants.tables.js';

// Tenant lifecycle events. Each is emitted with `aggregateId` and `tenant` set to the tenant code.
// A status change carries `{ before, after }`: the audit trail stores exactly that summary.

const code = z.string().regex(TENANT_CODE_PATTERN);
const status = z.enum(TENANT_STATUSES);

/** What the platform knows about a tenant when it is requested: never the owner's credentials. */
export const tenantSummary = z.object({
  code,
  name: z.string(),
  currency: z.string(),
  status,
  placement: z.string(),
  ownerUserId: z.uuid().nullable(),
});
export type TenantSummary = z.infer<typeof tenantSummary>;

/** An admin asked for a tenant: the provisioner creates and migrates its database. */
export const TenantRequested = defineEvent('tenant.requested', z.object({ code, after: tenantSummary }));

/** The tenant's database exists at `schemaVersion`; tenant-scoped routes now serve it. */
export const TenantReady = defineEvent(
  'tenant.ready',
  z.object({
    code,
    before: z.object({ status }),
    after: z.object({ status: z.literal('READY'), schemaVersion: z.number().int(), placement: z.string() }),
  }),
);

/** Provisioning failed; the tenant waits for `POST /api/tenants/:code/retry`. */
export const TenantFailed = defineEvent(
  'tenant.failed',
  z.object({
    code,
    before: z.object({ status }),
    after: z.object({ status: z.literal('FAILED'), failureReason: z.string() }),
  }),
);

/** An admin retried a FAILED tenant: the provisioner runs again (provisioning is idempotent). */
export const TenantRetried = defineEvent(
  'tenant.retried',
  z.object({
    code,
    before: z.object({ status, failureReason: z.string().nullable(), placement: z.string() }),
    after: z.object({ status: z.literal('PROVISIONING'), placement: z.string() }),
  }),
);
