import type { TenantStatus } from './tenants.tables.js';

/**
 * The tenant lifecycle as data: which status may follow which.
 *
 *   PROVISIONING ──▶ READY ◀──▶ SUSPENDED
 *        │  ▲
 *        ▼  │ retry
 *       FAILED
 */
export const TENANT_TRANSITIONS: Readonly<Record<TenantStatus, readonly TenantStatus[]>> = {
  PROVISIONING: ['READY', 'FAILED'],
  READY: ['SUSPENDED'],
  FAILED: ['PROVISIONING'],
  SUSPENDED: ['READY'],
};

export function canTransition(from: TenantStatus, to: TenantStatus): boolean {
  return TENANT_TRANSITIONS[from].includes(to);
}

/** An expected refusal, returned rather than thrown: the caller decides how to answer it. */
export interface IllegalTransition {
  kind: 'illegal_transition';
  from: TenantStatus;
  to: TenantStatus;
}
