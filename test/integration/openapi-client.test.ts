import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { projectPath } from '../../src/common/project-path.js';

// What a web shop or an app team does with openapi.json: generate TypeScript types with
// openapi-typescript and program against them under `strict`. A route without its path parameter, a
// resource without a named schema or a tag nobody can reach shows up here as a compile error.

interface Document {
  paths: Record<string, Record<string, { tags?: string[] }>>;
}

/**
 * One use per tag of the document, each through the generated `paths` and `components` types. A new tag
 * fails the coverage test until it gets its line here.
 */
const usesByTag: Record<string, string> = {
  health: `const live: Paths['/api/health/live']['get']['responses'][200] = { headers: {}, content: undefined as never };`,
  auth: `
    const login: JsonBody<Paths['/api/auth/login']['post']> = { email: 'a@example.com', password: 'secret-password' };
    const bearer = (pair: Schemas['TokenPair']): string => \`Bearer \${pair.access_token}\`;
    const revoke: Paths['/api/auth/sessions/{id}']['delete']['parameters']['path'] = { id: '0190c5c8-0000-7000-8000-000000000000' };
    const mine = (session: Schemas['Session']): boolean => session.current;
    const me = (account: Schemas['Account']): string => account.email;`,
  users: `const admins = (users: JsonOk<Paths['/api/users']['get']>): Schemas['User'][] => users.data.filter((user) => user.role === 'ADMIN');`,
  tenants: `const ready = (tenant: Schemas['Tenant']): boolean => tenant.status === 'READY';`,
  catalog: `
    const create: JsonBody<Paths['/api/tenants/{tenantCode}/products']['post']> = { name: 'Tea', sku: 'tea-1', price: 450, initialStock: 3 };
    const price = (product: Schemas['Product']): number => product.price;
    const onHand = (stock: Schemas['Stock']): number => stock.onHand;`,
  customers: `const where = (address: Schemas['Address']): [number, number] => [address.lat, address.lng];`,
  orders: `
    const place: JsonBody<Paths['/api/tenants/{tenantCode}/orders']['post']> = {
      items: [{ productId: '0190c5c8-0000-7000-8000-000000000000', quantity: 2 }],
      dropoff: { lat: 52.5, lng: 13.4, address: 'Alexanderplatz 1' },
    };
    const checkout = (order: Schemas['Order']): string | undefined => order.payment?.checkoutUrl ?? undefined;
    const lines = (order: Schemas['Order']): Schemas['OrderItem'][] => order.items;
    const moved = (event: Schemas['OrderEvent']): string => \`\${event.from ?? '-'} → \${event.to}\`;
    const total = (page: JsonOk<Paths['/api/orders']['get']>): number => page.meta.total;`,
  payments: `
    const applied = (receipt: Schemas['WebhookReceipt']): Schemas['WebhookReceipt'] => receipt;
    const refunded = (payment: Schemas['Payment']): number => payment.refunds.length;`,
  notifications: `const subjects = (page: JsonOk<Paths['/api/me/notifications']['get']>): Schemas['Notification'][] => page.data;`,
  fleet: `
    const plate = (vehicle: Schemas['Vehicle']): string => vehicle.plate;
    const vendor = (vendor: Schemas['Vendor']): string => vendor.name;
    const driver = (driver: Schemas['Driver']): string => driver.id;`,
  tracking: `const seen = (position: Schemas['DriverPosition']): number => position.lat;`,
  dispatch: `
    const offers = (page: JsonOk<Paths['/api/drivers/me/offers']['get']>): Schemas['Offer'][] => page.data;
    const deadline = (offer: Schemas['Offer']): string => offer.expiresAt;`,
  rides: `const quote = (estimate: JsonOk<Paths['/api/rides/estimate']['post']>): Schemas['RideEstimate'] => estimate;`,
  audit: `const actions = (entry: Schemas['AuditEntry']): string => entry.action;`,
  ops: `
    const replayable = (letter: Schemas['DeadLetter']): boolean => letter.replayedAt === null;
    const handled = (probe: Schemas['Probe']): number => probe.handledCount;`,
  metrics: `const scrape: Paths['/metrics']['get']['responses'][200]['content']['text/plain; version=0.0.4; charset=utf-8'] = '# HELP';`,
  checkout: `const link: Paths['/pay/{token}']['get']['parameters']['path'] = { token: 'signed-token' };`,
};

const PRELUDE = `
import type { components, paths } from './api.js';
type Paths = paths;
type Schemas = components['schemas'];
type JsonBody<Op> = Op extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;
type JsonOk<Op> = Op extends { responses: { 200: { content: { 'application/json': infer Body } } } } ? Body : never;
/** What a shop shows its customer when a call fails: problem+json, every invalid field named. */
export const explain = (problem: Schemas['Problem']): string =>
  problem.errors?.map((error) => \`\${error.field}: \${error.message}\`).join('; ') ?? problem.detail ?? problem.title;
`;

/**
 * Type-checks each program against the generated `api.d.ts` in `dir`, strictly, in one TypeScript
 * program (parsing the 300 KB of types once); returns each program's diagnostics.
 */
function typeCheck(dir: string, programs: Record<string, string>): Record<string, string[]> {
  const files = Object.entries(programs).map(([name, source]) => {
    const file = join(dir, `${name}.ts`);
    writeFileSync(file, source);
    return [name, file] as const;
  });
  const program = ts.createProgram(
    files.map(([, file]) => file),
    {
      strict: true,
      noEmit: true,
      // The standard library and the generated declarations are not what is under test.
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    },
  );
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return Object.fromEntries(
    files.map(([name, file]) => [
      name,
      diagnostics
        .filter((diagnostic) => diagnostic.file?.fileName === file || !diagnostic.file)
        .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')),
    ]),
  );
}

describe('a TypeScript client generated from openapi.json with openapi-typescript', () => {
  const document = JSON.parse(readFileSync(projectPath('openapi.json'), 'utf8')) as Document;
  let dir: string;
  let diagnostics: Record<string, string[]>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ordo-openapi-client-'));
    // `type: module` makes './api.js' resolve to api.d.ts under NodeNext.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const ast = await openapiTS(new URL(`file://${projectPath('openapi.json')}`), { silent: true });
    writeFileSync(join(dir, 'api.d.ts'), astToString(ast));
    diagnostics = typeCheck(dir, {
      client: `${PRELUDE}\n${Object.values(usesByTag).join('\n')}\nexport {};\n`,
      // The control: two mistakes a generated client must catch, so an empty list above means something.
      misuse: `${PRELUDE}
        const wrong: Schemas['Order']['total'] = 'twelve euros';
        const missing: Paths['/api/auth/sessions/{id}']['delete']['parameters']['path'] = {};
        export {};`,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has a use for every tag of the document, and no use for a tag it lacks', () => {
    const tags = new Set(
      Object.values(document.paths).flatMap((operations) =>
        Object.values(operations).flatMap((operation) => operation.tags ?? []),
      ),
    );
    assert.deepEqual([...tags].sort(), Object.keys(usesByTag).sort());
  });

  it('names the resources and the problem type as component schemas', () => {
    const generated = readFileSync(join(dir, 'api.d.ts'), 'utf8');
    for (const name of ['Order', 'Product', 'Problem', 'Tenant', 'User', 'Driver', 'Vehicle', 'Offer', 'PageMeta']) {
      assert.match(generated, new RegExp(`^\\s+${name}: \\{`, 'm'), `no component schema ${name}`);
    }
  });

  it('type-checks a strict program that uses every tag', () => {
    assert.deepEqual(diagnostics.client, []);
  });

  it('refuses a program that misuses it (the check is real)', () => {
    assert.equal(diagnostics.misuse?.length, 2, diagnostics.misuse?.join('\n'));
  });
});
