// The permission matrix: every operation the OpenAPI document lists, checked over HTTP.
//
// - Every operation declares its auth: `x-roles` (from @Roles) or `x-auth: 'none'` (from @Public).
// - Every route the app serves is in the document (so none escapes the matrix).
// - A protected operation answers 401 without a token or with a tampered one, and 403 to each role
//   it does not admit. The guard runs before validation, so a minimal body and syntactically valid
//   path parameters are enough: nothing reaches a handler.
// - Someone else's resource answers 404, exactly like one that does not exist: see `ownershipCases`,
//   which later features extend. Routes under /api/tenants/{code}/… are checked automatically.
//
// New routes are picked up from the document with no change here.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PUBLIC_METADATA, ROLES_METADATA } from '../../src/common/auth/decorators.js';
import { ROLES, type Role } from '../../src/common/auth/roles.js';
import { CHECKOUT_ROUTES } from '../../src/modules/payments/payments.module.js';
import { skipUnless, startTestApp, type InfraKind, type TestApp } from '../support/app.js';
import { TEST_ADMIN } from '../support/auth.js';
import { addVehicle, createVendor, decided, readyDriver, registerDriver, setOnline } from '../support/fleet.js';
import { waitFor } from '../support/wait-for.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];
/** What @Roles() with no roles puts in x-roles: any signed-in user. */
const ANY_ROLE = 'any signed-in user';
const PASSWORD = 'matrix-password-123';

interface OpenApiOperation {
  'x-roles'?: unknown;
  'x-auth'?: unknown;
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, OpenApiOperation>>>;
}

interface Operation {
  method: Method;
  /** As in the document: /api/users/{id}. */
  path: string;
  /** `GET /api/users/{id}` */
  key: string;
  isPublic: boolean;
  /** Roles admitted; `'any'` for any signed-in user; undefined when the operation declares nothing. */
  roles: Role[] | 'any' | undefined;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
}

interface Context {
  app: TestApp;
  operations: Operation[];
  /** A signed-in user of each role (MERCHANT only once tenants can be created). */
  tokens: Partial<Record<Role, string>>;
  /** Why there is no MERCHANT token, when there is none. */
  merchantMissing?: string;
  /** The MERCHANT's tenant (or a well-formed placeholder while there is none). */
  tenantCode: string;
  /** A second tenant with its own MERCHANT, made on first use. */
  otherTenant(): Promise<{ code: string; merchantToken: string }>;
}

/** Someone else's resource must answer 404, as if it did not exist. Later features add their cases here. */
interface OwnershipCase {
  /** The operation it exercises (`METHOD path` as in the document); skipped while it does not exist. */
  route: string;
  title: string;
  /** Why it cannot run yet, beyond the route missing. */
  blockedBy?: (context: Context, operation: Operation) => string | undefined;
  run(context: Context, operation: Operation): Promise<void>;
}

const ownershipCases: OwnershipCase[] = [
  {
    route: 'DELETE /api/auth/sessions/{id}',
    title: "a CUSTOMER revoking another CUSTOMER's session",
    async run({ app }) {
      const victim = await signIn(app, await createUser(app, 'CUSTOMER', 'victim'));
      const intruder = await signIn(app, await createUser(app, 'CUSTOMER', 'intruder'));
      const theirs = await expectProblem(
        await app.request(`/api/auth/sessions/${sessionIdOf(victim)}`, { method: 'DELETE', as: intruder }),
        404,
      );
      const nobodys = await expectProblem(
        await app.request(`/api/auth/sessions/${randomUUID()}`, { method: 'DELETE', as: intruder }),
        404,
      );
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from a session that does not exist');
      // The victim's session survived: their token is still accepted (403 here, not 401).
      await expectProblem(await app.request('/api/users', { as: victim }), 403);
    },
  },
  {
    route: 'GET /api/tenants/{code}',
    title: "a MERCHANT reading another tenant's record",
    blockedBy: (context, operation) =>
      context.merchantMissing ??
      (operation.roles !== 'any' && !operation.roles?.includes('MERCHANT')
        ? 'MERCHANT may not read tenants at all (its 403 row covers it)'
        : undefined),
    async run(context, operation) {
      const other = await context.otherTenant();
      const mine = await context.app.request(fill(operation.path, { code: context.tenantCode }), {
        as: context.tokens.MERCHANT!,
      });
      assert.equal(mine.status, 200, `own tenant: ${await mine.text()}`);
      const theirs = await expectProblem(
        await context.app.request(fill(operation.path, { code: other.code }), { as: context.tokens.MERCHANT! }),
        404,
      );
      const nobodys = await expectProblem(
        await context.app.request(fill(operation.path, { code: 'no_such_tenant' }), { as: context.tokens.MERCHANT! }),
        404,
      );
      assert.equal(theirs.type, nobodys.type);
    },
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map((method): OwnershipCase => ({
    route: `${method} /api/me/addresses/{id}`,
    title: `a CUSTOMER ${method === 'GET' ? 'reading' : method === 'PATCH' ? 'changing' : 'deleting'} another CUSTOMER's address`,
    async run({ app }) {
      const owner = await signIn(app, await createUser(app, 'CUSTOMER', 'address-owner'));
      const intruder = await signIn(app, await createUser(app, 'CUSTOMER', 'address-intruder'));
      const saved = await app.request('/api/me/addresses', {
        method: 'POST',
        json: { label: 'Home', address: 'Torstraße 1, Berlin', lat: 52.5, lng: 13.4 },
        as: owner,
      });
      assert.equal(saved.status, 201, await saved.clone().text());
      const { id } = (await saved.json()) as { id: string };
      const send = (addressId: string) =>
        app.request(`/api/me/addresses/${addressId}`, {
          method,
          ...(method === 'PATCH' ? { json: { label: 'Taken over' } } : {}),
          as: intruder,
        });
      const theirs = await expectProblem(await send(id), 404);
      const nobodys = await expectProblem(await send(randomUUID()), 404);
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from an address that does not exist');
      const still = await app.request(`/api/me/addresses/${id}`, { as: owner });
      assert.equal(still.status, 200);
      assert.equal(((await still.json()) as { label: string }).label, 'Home', 'the owner’s address is untouched');
    },
  })),
  {
    route: 'PATCH /api/tenants/{tenantCode}/products/{id}',
    title: "a MERCHANT of tenant B patching tenant A's product (through either tenant)",
    blockedBy: (context) => context.merchantMissing,
    async run(context) {
      const { app, tokens, tenantCode } = context;
      const other = await context.otherTenant();
      // Both tenants were only requested: wait until they serve tenant-scoped routes.
      for (const code of [tenantCode, other.code]) {
        await waitFor(
          async () => {
            const tenant = await app.request(`/api/tenants/${code}`);
            return ((await tenant.json()) as { status?: string }).status === 'READY';
          },
          { timeoutMs: 30_000, what: `tenant ${code} to be READY` },
        );
      }
      const created = await app.request(`/api/tenants/${tenantCode}/products`, {
        method: 'POST',
        json: { name: 'Matrix product', price: 100 },
        as: tokens.MERCHANT!,
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      const patch = (code: string, productId: string) =>
        app.request(`/api/tenants/${code}/products/${productId}`, {
          method: 'PATCH',
          json: { price: 1 },
          as: other.merchantToken,
        });
      const viaOwnTenant = await expectProblem(await patch(other.code, id), 404);
      const nobodys = await expectProblem(await patch(other.code, randomUUID()), 404);
      assert.equal(viaOwnTenant.type, nobodys.type);
      await expectProblem(await patch(tenantCode, id), 404);
      const mine = await app.request(`/api/tenants/${tenantCode}/products/${id}`, { as: tokens.MERCHANT! });
      assert.equal(((await mine.json()) as { price: number }).price, 100, 'the product is untouched');
    },
  },
  ...(
    [
      ['GET', 'GET /api/tenants/{tenantCode}/orders/{id}', ''],
      ['GET', 'GET /api/tenants/{tenantCode}/orders/{id}/events', '/events'],
      ['POST', 'POST /api/tenants/{tenantCode}/orders/{id}/cancel', '/cancel'],
    ] as const
  ).map(([method, route, suffix]): OwnershipCase => ({
    route,
    title: `a CUSTOMER ${method === 'GET' ? 'reading' : 'cancelling'} another CUSTOMER's order`,
    blockedBy: (context) => context.merchantMissing,
    async run(context) {
      const { app, tokens, tenantCode } = context;
      await waitFor(
        async () => {
          const tenant = await app.request(`/api/tenants/${tenantCode}`);
          return ((await tenant.json()) as { status?: string }).status === 'READY';
        },
        { timeoutMs: 30_000, what: `tenant ${tenantCode} to be READY` },
      );
      const created = await app.request(`/api/tenants/${tenantCode}/products`, {
        method: 'POST',
        json: { name: 'Matrix order product', price: 100, initialStock: 5 },
        as: tokens.MERCHANT!,
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id: productId } = (await created.json()) as { id: string };
      const owner = await signIn(app, await createUser(app, 'CUSTOMER', 'order-owner'));
      const intruder = await signIn(app, await createUser(app, 'CUSTOMER', 'order-intruder'));
      const placed = await app.request(`/api/tenants/${tenantCode}/orders`, {
        method: 'POST',
        json: { items: [{ productId, quantity: 1 }], dropoff: { lat: 52.5, lng: 13.4, address: 'Here 1' } },
        as: owner,
      });
      assert.equal(placed.status, 202, await placed.clone().text());
      const { id } = (await placed.json()) as { id: string };
      const send = (orderId: string) =>
        app.request(`/api/tenants/${tenantCode}/orders/${orderId}${suffix}`, {
          method,
          ...(method === 'POST' ? { json: { reason: 'not mine' } } : {}),
          as: intruder,
        });
      const theirs = await expectProblem(await send(id), 404);
      const nobodys = await expectProblem(await send(randomUUID()), 404);
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from an order that does not exist');
      const still = await app.request(`/api/tenants/${tenantCode}/orders/${id}`, { as: owner });
      assert.equal(still.status, 200);
      assert.notEqual(((await still.json()) as { status: string }).status, 'CANCELLED', 'the order is untouched');
    },
  })),
  {
    route: 'GET /api/drivers/{id}',
    title: "a DRIVER reading another driver's profile",
    async run({ app }) {
      const vendor = await createVendor(app);
      const owner = await registerDriver(app, vendor.id);
      const intruder = await registerDriver(app, vendor.id);
      const theirs = await expectProblem(
        await app.request(`/api/drivers/${owner.driver.id}`, { as: intruder.token }),
        404,
      );
      const nobodys = await expectProblem(
        await app.request(`/api/drivers/${randomUUID()}`, { as: intruder.token }),
        404,
      );
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from a driver that does not exist');
      const own = await app.request(`/api/drivers/${owner.driver.id}`, { as: owner.token });
      assert.equal(own.status, 200);
    },
  },
  {
    route: 'GET /api/drivers/{id}/location',
    title: "a DRIVER reading another driver's last known position",
    async run({ app }) {
      const vendor = await createVendor(app);
      const owner = await readyDriver(app, vendor.id);
      const intruder = await registerDriver(app, vendor.id);
      assert.equal((await setOnline(app, owner.token, true)).status, 200);
      const reported = await app.request('/api/drivers/me/location', {
        method: 'POST',
        json: { lat: 52.5, lng: 13.4, at: new Date().toISOString() },
        as: owner.token,
      });
      assert.equal(reported.status, 202, await reported.clone().text());
      const theirs = await expectProblem(
        await app.request(`/api/drivers/${owner.driver.id}/location`, { as: intruder.token }),
        404,
      );
      const nobodys = await expectProblem(
        await app.request(`/api/drivers/${randomUUID()}/location`, { as: intruder.token }),
        404,
      );
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from a driver without a position');
      const own = await app.request(`/api/drivers/${owner.driver.id}/location`, { as: owner.token });
      assert.equal(own.status, 200);
    },
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map((method): OwnershipCase => ({
    route: `${method} /api/vehicles/{id}`,
    title: `a DRIVER ${method === 'GET' ? 'reading' : method === 'PATCH' ? 'changing' : 'deleting'} another driver's vehicle`,
    async run({ app }) {
      const vendor = await createVendor(app);
      const owner = await registerDriver(app, vendor.id);
      const intruder = await registerDriver(app, vendor.id);
      const vehicle = await addVehicle(app, owner.token);
      const send = (vehicleId: string) =>
        app.request(`/api/vehicles/${vehicleId}`, {
          method,
          ...(method === 'PATCH' ? { json: { make: 'Taken over' } } : {}),
          as: intruder.token,
        });
      const theirs = await expectProblem(await send(vehicle.id), 404);
      const nobodys = await expectProblem(await send(randomUUID()), 404);
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from a vehicle that does not exist');
      const still = await app.request(`/api/vehicles/${vehicle.id}`, { as: owner.token });
      assert.equal(still.status, 200);
      assert.equal(((await still.json()) as { make: string }).make, vehicle.make, 'the owner’s vehicle is untouched');
    },
  })),
  {
    route: 'PATCH /api/drivers/me/vehicle',
    title: "a DRIVER selecting another driver's vehicle as their own",
    async run({ app }) {
      const vendor = await createVendor(app);
      const owner = await registerDriver(app, vendor.id);
      const intruder = await registerDriver(app, vendor.id);
      const vehicle = await decided(app, (await addVehicle(app, owner.token)).id);
      const select = (vehicleId: string) =>
        app.request('/api/drivers/me/vehicle', { method: 'PATCH', json: { vehicleId }, as: intruder.token });
      const theirs = await expectProblem(await select(vehicle.id), 404);
      const nobodys = await expectProblem(await select(randomUUID()), 404);
      assert.equal(theirs.type, nobodys.type, 'indistinguishable from a vehicle that does not exist');
    },
  },
];

/** Every operation of the document under /api/. */
function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      const declared = operation['x-roles'];
      const roles = Array.isArray(declared)
        ? declared.includes(ANY_ROLE)
          ? ('any' as const)
          : (declared as Role[])
        : undefined;
      return [
        { method, path, key: `${method.toUpperCase()} ${path}`, isPublic: operation['x-auth'] === 'none', roles },
      ];
    }),
  );
}

/** The path with each `{param}` filled: tenant codes from `values`, anything else a fresh UUID. */
function fill(path: string, values: { code: string }): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
    name === 'code' || name === 'tenantCode' ? values.code : randomUUID(),
  );
}

/** Same method and path, whatever the path parameters are called. */
function sameRoute(a: string, b: string): boolean {
  const shape = (key: string) => key.replace(/\{[^}]+\}/g, '{}');
  return shape(a) === shape(b);
}

/** `/api/tenants/{code}/...`: a route inside one tenant. */
function isTenantScoped(path: string): boolean {
  return /^\/api\/tenants\/\{[^}]+\}\/./.test(path);
}

function sessionIdOf(token: string): string {
  const payload = token.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string }).sid;
}

/** The same token with one character of its signature changed. */
function tampered(token: string): string {
  const dot = token.lastIndexOf('.');
  const first = token[dot + 1];
  return `${token.slice(0, dot + 1)}${first === 'A' ? 'B' : 'A'}${token.slice(dot + 2)}`;
}

async function expectProblem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  assert.equal(body.status, status);
  return body;
}

let userCount = 0;

async function createUser(app: TestApp, role: Role, label: string, tenantCode?: string): Promise<string> {
  const email = `${label}-${++userCount}@matrix.example.com`;
  const response = await app.request('/api/users', {
    method: 'POST',
    json: { email, password: PASSWORD, name: `${label} ${role}`, role, ...(tenantCode ? { tenantCode } : {}) },
  });
  assert.equal(response.status, 201, `creating a ${role}: ${await response.text()}`);
  return email;
}

async function signIn(app: TestApp, email: string, password = PASSWORD): Promise<string> {
  const response = await app.request('/api/auth/login', { method: 'POST', json: { email, password }, as: null });
  const text = await response.text();
  assert.equal(response.status, 200, `signing in ${email}: ${text}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

async function createTenant(app: TestApp, code: string): Promise<void> {
  const response = await app.request('/api/tenants', {
    method: 'POST',
    json: {
      code,
      name: `Shop ${code}`,
      currency: 'EUR',
      pickup: { lat: 52.52, lng: 13.405, address: 'Alexanderplatz 1, Berlin' },
      owner: { email: `owner-${code}@matrix.example.com`, password: PASSWORD, name: `Owner of ${code}` },
    },
  });
  assert.equal(response.status, 202, `POST /api/tenants ${code}: ${await response.text()}`);
}

/** Every route Nest serves, read from the controllers' metadata, with its auth declaration. */
function servedRoutes(app: TestApp): { key: string; inDocument: boolean; declared: boolean }[] {
  const discovery = app.ordo.app.get(DiscoveryService);
  const scanner = new MetadataScanner();
  const join = (...parts: string[]) =>
    `/${parts.join('/')}`
      .replace(/\/+/g, '/')
      .replace(/(.)\/$/, '$1')
      .replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  // As bootstrap.ts excludes them from the global prefix: Prometheus' scrape path and the checkout page.
  const outsideApiPrefix = new Set(['metrics', ...CHECKOUT_ROUTES].map((route) => join(route)));
  return discovery.getControllers().flatMap((wrapper) => {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!controller || !wrapper.instance) return [];
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    const excluded =
      (Reflect.getMetadata('swagger/apiExcludeController', controller) as boolean[] | undefined)?.[0] === true;
    const basePaths = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
    return scanner.getAllMethodNames(prototype).flatMap((name) => {
      const handler = prototype[name] as object;
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      const methodPaths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (requestMethod === undefined || methodPaths === undefined) return [];
      const declared =
        [handler, controller].some((target) => Reflect.getMetadata(PUBLIC_METADATA, target) === true) ||
        [handler, controller].some((target) => Array.isArray(Reflect.getMetadata(ROLES_METADATA, target)));
      const endpointExcluded =
        (Reflect.getMetadata('swagger/apiExcludeEndpoint', handler) as { disable?: boolean } | undefined)?.disable ===
        true;
      return basePaths.flatMap((base) =>
        [methodPaths].flat().map((path) => ({
          key: `${RequestMethod[requestMethod]} ${outsideApiPrefix.has(join(base, path)) ? join(base, path) : join('api', base, path)}`,
          inDocument: !excluded && !endpointExcluded,
          declared,
        })),
      );
    });
  });
}

const kinds: InfraKind[] = ['embedded', 'real'];

for (const kind of kinds) {
  describe(`permission matrix (${kind})`, { skip: await skipUnless(kind) }, () => {
    let context: Context;
    let app: TestApp | undefined;

    before(async () => {
      const started = await startTestApp(kind);
      app = started;
      const response = await started.request('/api/docs-json', { as: null });
      assert.equal(response.status, 200);
      const operations = operationsOf((await response.json()) as OpenApiDocument);
      const has = (key: string) => operations.some((operation) => operation.key === key);

      const tokens: Partial<Record<Role, string>> = { ADMIN: await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password) };
      for (const role of ['CUSTOMER', 'DRIVER'] as const)
        tokens[role] = await signIn(app, await createUser(app, role, 'matrix'));
      let merchantMissing: string | undefined;
      let tenantCode = 'matrix_absent';
      if (has('POST /api/tenants')) {
        tenantCode = 'matrix_shop';
        await createTenant(app, tenantCode);
        tokens.MERCHANT = await signIn(app, await createUser(app, 'MERCHANT', 'matrix', tenantCode));
      } else {
        merchantMissing = 'POST /api/tenants does not exist yet, so no MERCHANT can be created';
      }

      let other: Promise<{ code: string; merchantToken: string }> | undefined;
      context = {
        app: started,
        operations,
        tokens,
        merchantMissing,
        tenantCode,
        otherTenant: () =>
          (other ??= (async () => {
            const code = 'matrix_other';
            await createTenant(started, code);
            return { code, merchantToken: await signIn(started, await createUser(started, 'MERCHANT', 'other', code)) };
          })()),
      };
    });

    after(async () => {
      await app?.close();
    });

    it('every /api operation declares its auth: x-roles (@Roles) or x-auth none (@Public), not both', () => {
      const undeclared = context.operations.filter((operation) => !operation.isPublic && operation.roles === undefined);
      const both = context.operations.filter((operation) => operation.isPublic && operation.roles !== undefined);
      const unknownRoles = context.operations.filter(
        (operation) =>
          Array.isArray(operation.roles) &&
          (operation.roles.length === 0 || operation.roles.some((role) => !ROLES.includes(role))),
      );
      assert.deepEqual(
        undeclared.map((operation) => operation.key),
        [],
        'operations with neither @Roles nor @Public',
      );
      assert.deepEqual(
        both.map((operation) => operation.key),
        [],
        'operations both public and role-restricted',
      );
      assert.deepEqual(
        unknownRoles.map((operation) => operation.key),
        [],
        'operations naming unknown roles',
      );
      assert.ok(context.operations.length > 0);
    });

    it('every route the app serves is in the OpenAPI document and declares its auth', () => {
      const documented = new Set(context.operations.map((operation) => operation.key));
      const routes = servedRoutes(context.app);
      assert.ok(routes.length >= context.operations.length);
      assert.deepEqual(
        routes.filter((route) => route.inDocument && !documented.has(route.key)).map((route) => route.key),
        [],
        'routes missing from the OpenAPI document',
      );
      assert.deepEqual(
        routes.filter((route) => !route.declared).map((route) => route.key),
        [],
        'routes (documented or not) with neither @Roles nor @Public',
      );
    });

    it('every protected operation: no token or a tampered one → 401, a role it does not admit → 403', async (t) => {
      const { app, tokens } = context;
      for (const operation of context.operations.filter((candidate) => !candidate.isPublic)) {
        await t.test(
          `${operation.key} (${operation.roles === 'any' ? ANY_ROLE : (operation.roles ?? ['undeclared']).join(', ')})`,
          async () => {
            const send = (as: string | null) =>
              app.request(fill(operation.path, { code: context.tenantCode }), {
                method: operation.method.toUpperCase(),
                ...(['post', 'put', 'patch'].includes(operation.method) ? { json: {} } : {}),
                as,
              });
            const failures: string[] = [];
            const check = async (who: string, as: string | null, expected: number) => {
              const response = await send(as);
              const text = await response.text();
              const problemJson = /^application\/problem\+json/.test(response.headers.get('content-type') ?? '');
              if (response.status !== expected || !problemJson) {
                failures.push(
                  `${who}: expected ${expected} problem+json, got ${response.status} ${text.slice(0, 200)}`,
                );
              }
            };
            await check('no token', null, 401);
            await check('a tampered ADMIN token', tampered(tokens.ADMIN!), 401);
            await check('a malformed token', 'not-a-jwt', 401);
            const admitted = operation.roles === 'any' ? [...ROLES] : (operation.roles ?? [...ROLES]);
            for (const role of ROLES) {
              const token = tokens[role];
              if (!token) continue; // MERCHANT while tenants cannot be created: reported by its own skipped test
              if (!admitted.includes(role)) {
                await check(role, token, 403);
              } else if (operation.method === 'get') {
                // Safe to call for real: an admitted role gets past the guard (whatever the handler then says).
                const response = await send(token);
                await response.body?.cancel();
                if (response.status === 401 || response.status === 403) {
                  failures.push(`${role} is admitted but got ${response.status}`);
                }
              }
            }
            assert.deepEqual(failures, []);
          },
        );
      }
    });

    it('MERCHANT rows of the matrix', (t: TestContext) => {
      if (context.merchantMissing) t.skip(context.merchantMissing);
      else assert.ok(context.tokens.MERCHANT, 'a MERCHANT took part in every row above');
    });

    it('public operations answer without a token (GET: neither 401 nor 403)', async (t) => {
      for (const operation of context.operations.filter(
        (candidate) => candidate.isPublic && candidate.method === 'get',
      )) {
        await t.test(operation.key, async () => {
          const response = await context.app.request(fill(operation.path, { code: context.tenantCode }), { as: null });
          await response.body?.cancel();
          assert.ok(![401, 403].includes(response.status), `${operation.key} answered ${response.status}`);
        });
      }
    });

    it("someone else's resource → 404, never revealing that it exists", async (t) => {
      for (const ownership of ownershipCases) {
        const operation = context.operations.find((candidate) => sameRoute(candidate.key, ownership.route));
        const blocked = operation ? ownership.blockedBy?.(context, operation) : `${ownership.route} does not exist yet`;
        await t.test(`${ownership.route}: ${ownership.title}`, { skip: blocked ?? false }, () =>
          ownership.run(context, operation!),
        );
      }

      // Every route inside a tenant that a MERCHANT may use: another tenant's merchant gets 404.
      const scoped = context.operations.filter(
        (operation) =>
          isTenantScoped(operation.path) &&
          (operation.roles === 'any' || operation.roles?.includes('MERCHANT') === true),
      );
      for (const operation of scoped) {
        await t.test(
          `${operation.key}: a MERCHANT of another tenant`,
          { skip: context.merchantMissing ?? false },
          async () => {
            const other = await context.otherTenant();
            const send = (code: string) =>
              context.app.request(fill(operation.path, { code }), {
                method: operation.method.toUpperCase(),
                ...(['post', 'put', 'patch'].includes(operation.method) ? { json: {} } : {}),
                as: other.merchantToken,
              });
            const theirs = await expectProblem(await send(context.tenantCode), 404);
            const nobodys = await expectProblem(await send('no_such_tenant'), 404);
            assert.equal(theirs.type, nobodys.type);
          },
        );
      }
      if (scoped.length === 0) t.diagnostic('no tenant-scoped routes admit a MERCHANT yet');
    });
  });
}
