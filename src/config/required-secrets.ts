/**
 * The secrets a setup on real infrastructure must set (config/signing-secret.ts explains why): its
 * processes have to share them, and no fallback is safe outside tests. The sandbox's only while it is
 * the payment provider. Apart from signing-secret.ts so the environment schema can use it without a cycle.
 */
export function requiredSecrets(env: {
  DATABASE_URL?: string | undefined;
  NODE_ENV: string;
  PAYMENT_PROVIDER: string;
}): ('JWT_SECRET' | 'PAYMENTS_SANDBOX_SECRET')[] {
  if (!env.DATABASE_URL || env.NODE_ENV === 'test') return [];
  return env.PAYMENT_PROVIDER === 'sandbox' ? ['JWT_SECRET', 'PAYMENTS_SANDBOX_SECRET'] : ['JWT_SECRET'];
}
