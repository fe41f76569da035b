import { z } from 'zod';
import { pageMetaSchema } from '../../common/http/pagination.js';

export const loginBody = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
});
export type LoginBody = z.infer<typeof loginBody>;

/** Customer self-signup. */
export const registerBody = z.strictObject({
  email: z.email().max(254).describe('Unique whatever its case'),
  password: z.string().min(8, 'at least 8 characters').max(1024),
  name: z.string().trim().min(1).max(200),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 ().-]{3,30}$/, 'a phone number: digits, spaces, ( ) . - and an optional leading +')
    .optional(),
});
export type RegisterBody = z.infer<typeof registerBody>;

export const refreshBody = z.strictObject({
  refresh_token: z.string().min(1).max(512).describe('The refresh token of the last pair this session was given'),
});
export type RefreshBody = z.infer<typeof refreshBody>;

export const sessionIdParams = z.strictObject({ id: z.uuid() });

export const userViewSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    role: z.enum(['ADMIN', 'MERCHANT', 'CUSTOMER', 'DRIVER']),
    tenantCode: z.string().nullable(),
    status: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' });

export const tokenPairSchema = z
  .object({
    access_token: z.string().describe('JWT for `Authorization: Bearer`; carries sub, role, tenant and the session id'),
    refresh_token: z.string().describe('Opaque; good for one refresh, then rotated'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds until the access token expires'),
    user: userViewSchema,
  })
  .meta({ id: 'TokenPair' });

export const sessionViewSchema = z
  .object({
    id: z.uuid(),
    device: z.string().nullable().describe('The User-Agent that signed in'),
    ip: z.string().nullable().describe('The address that signed in'),
    createdAt: z.string(),
    lastUsedAt: z.string().describe('Sign-in or last refresh'),
    current: z.boolean().describe('The session of the token making this request'),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'Session' });
export type SessionView = z.infer<typeof sessionViewSchema>;

export const sessionPageSchema = z.object({
  data: z.array(sessionViewSchema),
  meta: pageMetaSchema,
});
