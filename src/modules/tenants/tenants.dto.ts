import { z } from 'zod';
import { pageMetaSchema, paginationQuery } from '../../common/http/pagination.js';
import { TENANT_CODE_PATTERN } from '../../infra/database/tenant-code.js';
import { userViewSchema } from '../auth/auth.dto.js';
import type { Tenant } from './tenants.repository.js';
import { TENANT_STATUSES } from './tenants.tables.js';

export const TENANT_CODE_RULE = 'must be 3 to 31 lower-case letters, digits or _, starting with a letter';

/** ISO 4217 codes this runtime knows (Node ships full ICU); empty on a runtime without the list. */
const knownCurrencies = new Set<string>(
  typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : [],
);

const tenantCode = z.string().regex(TENANT_CODE_PATTERN, TENANT_CODE_RULE);
const placement = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a placement name: letters, digits, _ or -')
  .describe('Which database server holds the tenant: `default`, or a name from TENANT_SERVERS');
const email = z.email().max(254);
const password = z.string().min(8, 'must be at least 8 characters').max(1024);
const personName = z.string().trim().min(1).max(200);
const phone = z
  .string()
  .trim()
  .regex(
    /^\+?[0-9][0-9 ().-]{2,31}$/,
    'must be a phone number: digits, optionally a leading +, spaces, dots, dashes or brackets',
  );

export const createTenantBody = z.strictObject({
  code: tenantCode.describe(`Unique; becomes the tenant's database name, so it ${TENANT_CODE_RULE}`),
  name: z.string().trim().min(1).max(200),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: 3 upper-case letters')
    .refine((code) => knownCurrencies.size === 0 || knownCurrencies.has(code), 'is not an ISO 4217 currency')
    .describe('ISO 4217; every amount of this tenant is in minor units of it'),
  pickup: z
    .strictObject({
      lat: z.number().min(-90).max(90),
      lng: z.number().min(-180).max(180),
      address: z.string().trim().min(1).max(500),
    })
    .describe('Where drivers collect this merchant’s orders'),
  owner: z
    .strictObject({ email, password, name: personName })
    .describe("The tenant's first MERCHANT: signs in with this email and password"),
  placement: placement.optional(),
});
export type CreateTenantBody = z.infer<typeof createTenantBody>;

/** Retry may move a tenant whose placement was wrong; no body keeps the placement. */
export const retryTenantBody = z
  .strictObject({ placement: placement.optional() })
  .optional()
  .transform((body) => body ?? {});
export type RetryTenantBody = z.infer<typeof retryTenantBody>;

export const listTenantsQuery = z.strictObject({
  ...paginationQuery.shape,
  status: z.enum(TENANT_STATUSES).optional(),
});
export type ListTenantsQuery = z.infer<typeof listTenantsQuery>;

export const createMemberBody = z.strictObject({ email, password, name: personName, phone: phone.optional() });
export type CreateMemberBody = z.infer<typeof createMemberBody>;

export const tenantViewSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    currency: z.string(),
    status: z.enum(TENANT_STATUSES),
    failureReason: z.string().nullable().describe('Why provisioning failed (FAILED only)'),
    schemaVersion: z.number().int().describe('Tenant migrations applied to its database; 0 until READY'),
    placement: z.string(),
    pickup: z.object({ lat: z.number(), lng: z.number(), address: z.string() }),
    ownerUserId: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    readyAt: z.string().nullable(),
  })
  .meta({ id: 'Tenant' });
export type TenantView = z.infer<typeof tenantViewSchema>;

export const tenantPageSchema = z.object({ data: z.array(tenantViewSchema), meta: pageMetaSchema });
export const memberViewSchema = userViewSchema;
export const memberPageSchema = z.object({ data: z.array(memberViewSchema), meta: pageMetaSchema });

const iso = (value: Date | string): string => new Date(value).toISOString();

export function tenantView(tenant: Tenant): TenantView {
  return {
    code: tenant.code,
    name: tenant.name,
    currency: tenant.currency,
    status: tenant.status,
    failureReason: tenant.failureReason,
    schemaVersion: tenant.schemaVersion,
    placement: tenant.placement,
    pickup: { lat: tenant.pickupLat, lng: tenant.pickupLng, address: tenant.pickupAddress },
    ownerUserId: tenant.ownerUserId,
    createdAt: iso(tenant.createdAt),
    updatedAt: iso(tenant.updatedAt),
    readyAt: tenant.readyAt ? iso(tenant.readyAt) : null,
  };
}
