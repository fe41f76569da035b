import type { Role } from '../../common/auth/roles.js';
import type { UserStatus } from './users.tables.js';

/**
 * A platform account as other modules get it from `Accounts`. It carries the password hash because
 * signing in needs it: never put an Account itself in an answer, an event or a log line, only its
 * `userView` or `summarizeUser`.
 */
export interface Account {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  /** The one tenant a MERCHANT works for; null for every other role. */
  tenantCode: string | null;
  status: UserStatus;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A safe summary of an account for events and the audit trail (the `userSummary` event schema). */
export function summarizeUser(account: Account) {
  return {
    email: account.email,
    name: account.name,
    phone: account.phone,
    role: account.role,
    tenantCode: account.tenantCode,
    status: account.status,
  };
}

/** The public view of an account: what the API returns. */
export function userView(account: Account) {
  return {
    id: account.id,
    ...summarizeUser(account),
    createdAt: new Date(account.createdAt).toISOString(),
    updatedAt: new Date(account.updatedAt).toISOString(),
  };
}

export type UserView = ReturnType<typeof userView>;
