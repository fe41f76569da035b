import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { TENANT_CODE_RULE } from './tenants.dto.js';
import type { TenantStatus } from './tenants.tables.js';

// The answers the tenants module gives, in one place so every route words them the same way.

/** A malformed tenant code in the path or body: 400 before any SQL sees it. */
export function invalidTenantCode(field: string): ProblemException {
  return ProblemException.validation([{ field, message: TENANT_CODE_RULE }], `The tenant code ${TENANT_CODE_RULE}.`);
}

/** Unknown, or not yours: the same answer, so a merchant cannot probe for other tenants. */
export function tenantNotFound(code: string): ProblemException {
  return new ProblemException(problem(404, `There is no tenant "${code}".`));
}

export function tenantNotReady(code: string, status: TenantStatus): ProblemException {
  const why =
    status === 'PROVISIONING'
      ? 'its database is still being provisioned; try again shortly'
      : status === 'FAILED'
        ? 'provisioning failed; an admin can retry it'
        : 'it is suspended';
  return new ProblemException(
    problem(409, `Tenant "${code}" is not ready (${status}): ${why}.`, { tenantStatus: status }),
  );
}

export function illegalTransition(code: string, from: TenantStatus, to: TenantStatus): ProblemException {
  return new ProblemException(
    problem(
      409,
      `Tenant "${code}" is ${from}; it cannot go from ${from} to ${to}. Only a FAILED tenant can be retried.`,
      {
        from,
        to,
      },
    ),
  );
}

export function tenantCodeTaken(code: string): ProblemException {
  return new ProblemException(
    problem(409, `A tenant with code "${code}" already exists.`, {
      errors: [{ field: 'code', message: 'already in use' }],
    }),
  );
}

export function emailTaken(field: string): ProblemException {
  return new ProblemException(
    problem(409, 'An account with this email already exists.', {
      errors: [{ field, message: 'already in use (emails are unique whatever their case)' }],
    }),
  );
}

export function ownerOnly(code: string): ProblemException {
  return new ProblemException(problem(403, `Only the owner of tenant "${code}" (or an admin) can add its members.`));
}
