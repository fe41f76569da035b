import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

/** A safe summary of an account for events and the audit trail: never the password hash. */
export const userSummary = z.object({
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role: z.string(),
  tenantCode: z.string().nullable(),
  status: z.string(),
});

export const UserRegistered = defineEvent('user.registered', z.object({ after: userSummary }));
export const UserCreated = defineEvent('user.created', z.object({ after: userSummary }));
export const UserUpdated = defineEvent('user.updated', z.object({ before: userSummary, after: userSummary }));
export const UserDeleted = defineEvent('user.deleted', z.object({ before: userSummary }));
