import { z } from 'zod';
import { ROLES } from '../../common/auth/roles.js';
import { paginationQuery, pageMetaSchema } from '../../common/http/pagination.js';
import { TENANT_CODE_PATTERN } from '../../infra/database/tenant-code.js';

const email = z.email().max(254);
const password = z.string().min(8, 'must be at least 8 characters').max(1024);
const name = z.string().trim().min(1).max(200);
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{3,30}$/, 'a phone number: digits, spaces, ( ) . - and an optional leading +');
const role = z.enum(ROLES);
const tenantCode = z
  .string()
  .regex(TENANT_CODE_PATTERN, 'must be 3 to 31 lower-case letters, digits or _, starting with a letter')
  .describe('The tenant a MERCHANT works for: required for MERCHANT, forbidden for every other role');

export const createUserBody = z.strictObject({
  email,
  password,
  name,
  phone: phone.optional(),
  role,
  tenantCode: tenantCode.optional(),
});
export type CreateUserBody = z.infer<typeof createUserBody>;

export const updateUserBody = z.strictObject({
  name: name.optional(),
  phone: phone.nullable().optional().describe('null removes the phone number'),
  role: role.optional(),
  tenantCode: tenantCode
    .nullable()
    .optional()
    .describe('Required when the user ends up a MERCHANT; cleared automatically when a MERCHANT gets another role'),
  status: z.enum(['ACTIVE', 'DISABLED']).optional().describe('DISABLED signs the user out everywhere at once'),
});
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const listUsersQuery = paginationQuery.extend({
  role: role.optional(),
  status: z.enum(['ACTIVE', 'DISABLED']).optional(),
  q: z.string().trim().min(1).max(100).optional().describe('Part of the email or name, any case'),
});
export type ListUsersQuery = z.infer<typeof listUsersQuery>;

export const userViewSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    role,
    tenantCode: z.string().nullable(),
    status: z.enum(['ACTIVE', 'DISABLED']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'User' });

export const userPageSchema = z.object({
  data: z.array(userViewSchema),
  meta: pageMetaSchema,
});
