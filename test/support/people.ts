import assert from 'node:assert/strict';
import { newId } from '../../src/common/ids.js';
import type { TestRequest } from './auth.js';
import { waitFor } from './wait-for.js';

// Test accounts and tenants through the public API, for suites that need someone of each kind.
// `app` is anything that can make requests: an in-process test app or an Ordo child process.

type App = { request: TestRequest };

const PASSWORD = 'a-long-enough-password';

export interface Person {
  id: string;
  email: string;
  /** The access token of the session signing in opened. */
  token: string;
  /** That session's refresh token. */
  refreshToken: string;
}

interface TokenPair {
  access_token: string;
  refresh_token: string;
  user: { id: string };
}

/** Signs in (a new session each time): `token` and `refreshToken` are that session's. */
export async function signIn(app: App, email: string, password = PASSWORD): Promise<Person> {
  const response = await app.request('/api/auth/login', { method: 'POST', json: { email, password }, as: null });
  assert.equal(response.status, 200, `${email} signs in: ${await response.clone().text()}`);
  return personOf(email, (await response.json()) as TokenPair);
}

function personOf(email: string, tokens: TokenPair): Person {
  return { id: tokens.user.id, email, token: tokens.access_token, refreshToken: tokens.refresh_token };
}

/** A CUSTOMER through self-signup, signed in. */
export async function customer(app: App, label = 'customer'): Promise<Person> {
  const email = `${label}-${newId()}@people.test`;
  const response = await app.request('/api/auth/register', {
    method: 'POST',
    json: { email, password: PASSWORD, name: `A ${label}` },
    as: null,
  });
  assert.equal(response.status, 201, await response.clone().text());
  return personOf(email, (await response.json()) as TokenPair);
}

/** An account of any role made by the test admin (a MERCHANT needs its tenant), signed in. */
export async function person(
  app: App,
  role: 'ADMIN' | 'MERCHANT' | 'CUSTOMER' | 'DRIVER',
  tenantCode?: string,
): Promise<Person> {
  const email = `${role.toLowerCase()}-${newId()}@people.test`;
  const response = await app.request('/api/users', {
    method: 'POST',
    json: { email, password: PASSWORD, name: `A ${role.toLowerCase()}`, role, ...(tenantCode ? { tenantCode } : {}) },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return signIn(app, email);
}

/** A MERCHANT the tenant's owner adds to its staff (`POST /api/tenants/:code/members`), signed in. */
export async function staffMember(app: App, code: string, owner: Person): Promise<Person> {
  const email = `staff-${newId()}@shops.test`;
  const response = await app.request(`/api/tenants/${code}/members`, {
    method: 'POST',
    json: { email, password: PASSWORD, name: `Staff of ${code}` },
    as: owner.token,
  });
  assert.equal(response.status, 201, await response.clone().text());
  return signIn(app, email);
}

/** Requests a tenant as the test admin and waits until it is READY; returns its owner, signed in. */
export async function readyTenant(app: App, code: string, currency = 'EUR'): Promise<Person> {
  const owner = { email: `owner-${code}@shops.test`, password: PASSWORD, name: `Owner of ${code}` };
  const response = await app.request('/api/tenants', {
    method: 'POST',
    json: {
      code,
      name: `Shop ${code}`,
      currency,
      pickup: { lat: 52.52, lng: 13.405, address: 'Alexanderplatz 1, Berlin' },
      owner,
    },
  });
  assert.equal(response.status, 202, await response.clone().text());
  await waitFor(
    async () => {
      const tenant = await app.request(`/api/tenants/${code}`);
      return ((await tenant.json()) as { status: string }).status === 'READY';
    },
    { timeoutMs: 30_000, what: `tenant ${code} to be READY` },
  );
  return signIn(app, owner.email, owner.password);
}

/**
 * Requests many tenants as the test admin, `concurrency` requests at a time, and waits until every one
 * is READY (one poll of the tenant list for all of them). Owners are not signed in: sign-ins are rate
 * limited per IP, and the admin can do what a test needs in each shop.
 */
export async function readyTenants(app: App, codes: string[], concurrency = 8): Promise<void> {
  const queue = [...codes];
  const requestNext = async (): Promise<void> => {
    for (let code = queue.shift(); code !== undefined; code = queue.shift()) {
      const response = await app.request('/api/tenants', {
        method: 'POST',
        json: {
          code,
          name: `Shop ${code}`,
          currency: 'EUR',
          pickup: { lat: 52.52, lng: 13.405, address: 'Alexanderplatz 1, Berlin' },
          owner: { email: `owner-${code}@shops.test`, password: PASSWORD, name: `Owner of ${code}` },
        },
      });
      assert.equal(response.status, 202, await response.clone().text());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, codes.length) }, requestNext));
  const wanted = new Set(codes);
  await waitFor(
    async () => {
      let ready = 0;
      for (let page = 1; ; page++) {
        const response = await app.request(`/api/tenants?status=READY&per_page=100&page=${page}`);
        const body = (await response.json()) as { data: { code: string }[] };
        ready += body.data.filter((tenant) => wanted.has(tenant.code)).length;
        if (body.data.length < 100) break;
      }
      return ready === wanted.size;
    },
    { timeoutMs: 30_000 + 1_000 * codes.length, what: `${codes.length} tenants to be READY` },
  );
}
