import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { projectPath } from '../../src/common/project-path.js';
import { skipUnless } from '../support/app.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import { customer, readyTenant } from '../support/people.js';
import { expectStatus } from '../support/problems.js';
import { freePort, startOrdoProcess, stopAllProcesses, type Mode, type OrdoProcess } from '../support/processes.js';
import { DROPOFF, type ShopOrder } from '../support/shop.js';
import { waitFor } from '../support/wait-for.js';

/** The README's production recipe, as written: what it exports for every process, and each role's command. */
interface Recipe {
  setup: string[];
  shared: Record<string, string>;
  roles: { mode: Mode; env: Record<string, string> }[];
}

const ROLE_COMMAND = 'node dist/src/main.js';

/** Reads the shell block that follows "Production runs each role" in README.md. */
function readmeRecipe(): Recipe {
  const readme = readFileSync(projectPath('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('Production runs each role'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README.md has a bash block after "Production runs each role"');
  const lines = block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  const assignments = (words: string[]) =>
    Object.fromEntries(
      words.map((word) => {
        const match = /^([A-Z_]+)=(\S*)$/.exec(word);
        assert.ok(match, `"${word}" in the README's recipe is NAME=value`);
        return [match[1]!, match[2]!];
      }),
    );
  const recipe: Recipe = { setup: [], shared: {}, roles: [] };
  for (const line of lines) {
    if (line.startsWith('export ')) {
      Object.assign(recipe.shared, assignments(line.slice('export '.length).split(/\s+/)));
    } else if (line.endsWith(ROLE_COMMAND)) {
      const env = assignments(line.slice(0, -ROLE_COMMAND.length).trim().split(/\s+/));
      recipe.roles.push({ mode: env.MODE as Mode, env });
    } else {
      recipe.setup.push(line);
    }
  }
  return recipe;
}

describe('the README production recipe (real infrastructure)', { skip: await skipUnless('real') }, () => {
  const recipe = readmeRecipe();
  let infra: RealInfra;
  let publicUrl: string;
  const roles = new Map<Mode, OrdoProcess>();

  before(async () => {
    infra = await createRealInfra('recipe');
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    // The README's placeholders, filled in with this test's services. Nothing else is given, except
    // what keeps this test apart from others running at once (its namespace, prefixes, short retries)
    // and the api's port.
    const filled: Record<string, string> = {
      DATABASE_URL: infra.env.DATABASE_URL!,
      RABBITMQ_URL: infra.env.RABBITMQ_URL!,
      REDIS_URL: infra.env.REDIS_URL!,
      JWT_SECRET: randomBytes(24).toString('hex'),
      PAYMENTS_SANDBOX_SECRET: randomBytes(24).toString('hex'),
      PUBLIC_URL: publicUrl,
    };
    for (const name of Object.keys(filled)) {
      assert.ok(name in recipe.shared, `the README's recipe sets ${name} for every process`);
    }
    const isolation = {
      BUS_NAMESPACE: infra.env.BUS_NAMESPACE!,
      DATABASE_PREFIX: infra.env.DATABASE_PREFIX!,
      REDIS_KEY_PREFIX: infra.env.REDIS_KEY_PREFIX!,
      BUS_RETRY_DELAYS_MS: infra.env.BUS_RETRY_DELAYS_MS!,
    };
    // Each role as its own process, all at once, as an operator starting a deployment would.
    const started = await Promise.all(
      recipe.roles.map(({ mode, env }) =>
        startOrdoProcess(
          { ...recipe.shared, ...filled, ...isolation, ...env, ...(mode === 'api' ? { PORT: String(port) } : {}) },
          // Three processes migrating and connecting at once start slowly on a busy machine.
          { label: mode, readyTimeoutMs: 180_000 },
        ),
      ),
    );
    for (const role of started) roles.set(role.mode, role);
  });

  after(async () => {
    await stopAllProcesses();
    await infra?.cleanup();
  });

  it('builds from a fresh clone and runs the api, the worker and the scheduler apart, in production', () => {
    assert.deepEqual(recipe.setup, ['npm ci && npm run build'], 'install and build, then the exports and the roles');
    assert.deepEqual(
      recipe.roles.map((role) => role.mode),
      ['api', 'worker', 'scheduler'],
    );
    assert.equal(recipe.shared.NODE_ENV, 'production');
    for (const mode of ['api', 'worker', 'scheduler'] as const) {
      const role = roles.get(mode);
      assert.ok(role && !role.hasExited, `${mode} is running:\n${role?.output()}`);
    }
  });

  it('sells through them: the checkout link points at PUBLIC_URL, says sandbox, and paying it marks the order PAID', async () => {
    const api = roles.get('api')!;
    const merchant = await readyTenant(api, 'recipe_shop');
    const shopper = await customer(api, 'recipe-shopper');
    const base = '/api/tenants/recipe_shop';
    const product = await expectStatus<{ id: string }>(
      await api.request(`${base}/products`, {
        method: 'POST',
        json: { name: 'Coffee', price: 450, initialStock: 3 },
        as: merchant.token,
      }),
      201,
    );
    const placed = await expectStatus<ShopOrder>(
      await api.request(`${base}/orders`, {
        method: 'POST',
        json: { items: [{ productId: product.id, quantity: 1 }], dropoff: DROPOFF },
        as: shopper.token,
      }),
      202,
    );
    const order = await waitFor(
      async () => {
        const current = await expectStatus<ShopOrder>(
          await api.request(`${base}/orders/${placed.id}`, { as: shopper.token }),
          200,
        );
        return current.status === 'AWAITING_PAYMENT' ? current : undefined;
      },
      { timeoutMs: 60_000, what: 'the worker to validate the order' },
    );
    const checkout = order.payment!;
    assert.ok(checkout.checkoutUrl.startsWith(`${publicUrl}/pay/`), checkout.checkoutUrl);
    assert.equal(checkout.sandbox, true);

    // The link is followed from outside, as a customer's browser would.
    const page = await fetch(checkout.checkoutUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /id="sandbox"[^>]*>SANDBOX/);
    const paid = await fetch(`${checkout.checkoutUrl}/pay`, { method: 'POST' });
    assert.equal(paid.status, 200, await paid.text());
    await waitFor(
      async () => {
        const history = await expectStatus<{ data: { to: string }[] }>(
          await api.request(`${base}/orders/${order.id}/events`, { as: shopper.token }),
          200,
        );
        return history.data.some((event) => event.to === 'PAID');
      },
      { timeoutMs: 60_000, what: 'the order to be PAID' },
    );
  });
});
