/** The first admin every test app and process is started with (ORDO_ADMIN_EMAIL / ORDO_ADMIN_PASSWORD). */
export const TEST_ADMIN = { email: 'admin@ordo.test', password: 'admin-password-for-tests' };

/**
 * Env every test app and process starts with: the test admin, and sign-in and checkout rate limits high
 * enough that suites signing in many users from 127.0.0.1 never meet them (the rate-limit tests set their own).
 */
export const TEST_ADMIN_ENV = {
  ORDO_ADMIN_EMAIL: TEST_ADMIN.email,
  ORDO_ADMIN_PASSWORD: TEST_ADMIN.password,
  AUTH_RATE_LIMIT: '100000',
  CHECKOUT_RATE_LIMIT: '100000',
};

/**
 * Who a test request is sent as: `'admin'` (the default; a keyword, not a token) signs in as the test admin once and reuses
 * the token; a string is a bearer token; `null` sends no Authorization header.
 */
export type As = string | null;

export interface TestRequestInit extends RequestInit {
  json?: unknown;
  as?: As;
}

export type TestRequest = (path: string, init?: TestRequestInit) => Promise<Response>;

/** Signs in as the test admin against a running Ordo and returns the access token. */
export async function signInAsAdmin(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(TEST_ADMIN),
  });
  if (response.status !== 200)
    throw new Error(`test admin could not sign in: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Wraps plain fetch against `baseUrl` with JSON bodies and the `as` option. */
export function testRequester(baseUrl: () => string): TestRequest {
  let adminToken: Promise<string> | undefined;
  const send = (path: string, init: TestRequestInit = {}, token?: string): Promise<Response> => {
    const { json, headers, as: _as, ...rest } = init;
    return fetch(`${baseUrl()}${path}`, {
      ...rest,
      headers: {
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: json === undefined ? rest.body : JSON.stringify(json),
    });
  };
  return async (path, init = {}) => {
    const as = init.as === undefined ? 'admin' : init.as;
    if (as === null) return send(path, init);
    if (as !== 'admin') return send(path, init, as);
    adminToken ??= signInAsAdmin(baseUrl()).catch((error: unknown) => {
      adminToken = undefined;
      throw error;
    });
    return send(path, init, await adminToken);
  };
}
