// A tenant code becomes a database (or schema) name, so it is checked before it reaches any SQL.
// The pattern admits no quotes, dots, slashes or upper case, so `"${prefix}${code}"` is always a safe identifier.

export const TENANT_CODE_PATTERN = /^[a-z][a-z0-9_]{2,30}$/;

export class InvalidTenantCode extends Error {
  override readonly name = 'InvalidTenantCode';

  constructor(readonly code: unknown) {
    super(
      `Invalid tenant code ${JSON.stringify(code)}: use 3 to 31 lower-case letters, digits or _, starting with a letter`,
    );
  }
}

/** Thrown for a well-formed code that has no tenant database (never provisioned, or dropped). */
export class UnknownTenantDatabase extends Error {
  override readonly name = 'UnknownTenantDatabase';

  constructor(readonly code: string) {
    super(`No tenant database is provisioned for tenant "${code}"`);
  }
}

export function isTenantCode(code: unknown): code is string {
  return typeof code === 'string' && TENANT_CODE_PATTERN.test(code);
}

export function assertTenantCode(code: unknown): asserts code is string {
  if (!isTenantCode(code)) throw new InvalidTenantCode(code);
}
