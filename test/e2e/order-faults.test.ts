import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { skipUnless } from '../support/app.js';
import { createRealInfra, TEST_RETRY_DELAYS_MS, type RealInfra } from '../support/infra.js';
import { customer, readyTenant, type Person } from '../support/people.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../support/processes.js';
import { expectStatus, DROPOFF } from '../support/shop.js';
import { waitFor } from '../support/wait-for.js';

// Faults around orders, on real processes: a worker killed in the middle of validating an order (after
// the stock was reserved, before the order moved), and two schedulers expiring unpaid orders.

const KILL_AFTER_RESERVING = 'order-validator.reserved=kill';

interface Order {
  id: string;
  status: string;
  payment: { id: string } | null;
}

interface Seller {
  merchant: Person;
  shopper: Person;
  productId: string;
}

async function openShop(app: OrdoProcess, code: string, initialStock: number): Promise<Seller> {
  const merchant = await readyTenant(app, code);
  const shopper = await customer(app, `${code}-shopper`);
  const product = await expectStatus<{ id: string }>(
    await app.request(`/api/tenants/${code}/products`, {
      method: 'POST',
      json: { name: 'Crash-proof beans', price: 500, initialStock },
      as: merchant.token,
    }),
    201,
  );
  return { merchant, shopper, productId: product.id };
}

/** Places an order; the process may die before it answers (the failpoint fires right after the commit). */
async function placeAndMaybeLoseTheAnswer(app: OrdoProcess, code: string, seller: Seller, quantity: number) {
  await app
    .request(`/api/tenants/${code}/orders`, {
      method: 'POST',
      json: { items: [{ productId: seller.productId, quantity }], dropoff: DROPOFF },
      as: seller.shopper.token,
    })
    .catch(() => undefined);
}

/** After the restart: exactly one order, validated once, its stock reserved once, one checkout. */
async function assertConsistent(app: OrdoProcess, code: string, seller: Seller, quantity: number, stock: number) {
  const base = `/api/tenants/${code}`;
  const order = await waitFor(
    async () => {
      const page = await expectStatus<{ data: Order[] }>(
        await app.request(`${base}/orders`, { as: seller.merchant.token }),
        200,
      );
      assert.equal(page.data.length, 1, 'the accepted order survived the crash, once');
      return page.data[0]!.status === 'AWAITING_PAYMENT' ? page.data[0] : undefined;
    },
    { timeoutMs: 30_000, what: 'the order to be validated after the restart' },
  );
  const product = await expectStatus<{ stock: { onHand: number; reserved: number } }>(
    await app.request(`${base}/products/${seller.productId}`, { as: seller.merchant.token }),
    200,
  );
  assert.deepEqual(
    { onHand: product.stock.onHand, reserved: product.stock.reserved },
    { onHand: stock, reserved: quantity },
    'reserved exactly once',
  );
  const events = await expectStatus<{ data: { to: string }[] }>(
    await app.request(`${base}/orders/${order.id}/events`, { as: seller.merchant.token }),
    200,
  );
  assert.deepEqual(
    events.data.map((event) => event.to),
    ['PENDING', 'AWAITING_PAYMENT'],
  );
  const payments = await expectStatus<{ data: unknown[] }>(
    await app.request(`${base}/orders/${order.id}/payments`, { as: seller.merchant.token }),
    200,
  );
  assert.equal(payments.data.length, 1, 'one checkout');
}

describe('a worker killed between reservation and transition (embedded, one process)', () => {
  let dataDir: string;
  after(async () => {
    await stopAllProcesses();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('restarted on the same data directory, the order is validated once and the stock reserved once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ordo-crash-'));
    // A short lease: the killed process's message is taken again 2 s after the restart, not 30.
    const env = { DATA_DIR: dataDir, BUS_RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS.join(','), BUS_LEASE_MS: '2000' };
    const doomed = await startOrdoProcess({ ...env, ORDO_FAILPOINTS: KILL_AFTER_RESERVING }, { label: 'doomed' });
    const seller = await openShop(doomed, 'crash_emb', 5);
    await placeAndMaybeLoseTheAnswer(doomed, 'crash_emb', seller, 2);
    const { signal } = await doomed.exited;
    assert.equal(signal, 'SIGKILL', 'the failpoint killed the process mid-validation');

    const revived = await startOrdoProcess(env, { label: 'revived' });
    await assertConsistent(revived, 'crash_emb', seller, 2, 5);
  });
});

describe('faults on real infrastructure (separate processes)', { skip: await skipUnless('real') }, () => {
  let infra: RealInfra;
  after(async () => {
    await stopAllProcesses();
    await infra?.cleanup();
  });

  it('a worker killed between reservation and transition: the next worker validates once', async () => {
    infra = await createRealInfra('crash');
    const [api, provisioner] = await Promise.all([
      startOrdoProcess({ ...infra.env, MODE: 'api' }, { label: 'api' }),
      startOrdoProcess({ ...infra.env, MODE: 'worker' }, { label: 'provisioning-worker' }),
    ]);
    const seller = await openShop(api, 'crash_real', 5);
    // The shop is open; from now on only the doomed worker takes messages.
    await provisioner.stop();
    const doomed = await startOrdoProcess(
      { ...infra.env, MODE: 'worker', ORDO_FAILPOINTS: KILL_AFTER_RESERVING },
      { label: 'doomed-worker' },
    );
    await placeAndMaybeLoseTheAnswer(api, 'crash_real', seller, 3);
    const { signal } = await doomed.exited;
    assert.equal(signal, 'SIGKILL');

    await startOrdoProcess({ ...infra.env, MODE: 'worker' }, { label: 'worker' });
    await assertConsistent(api, 'crash_real', seller, 3, 5);
  });

  it('two schedulers, the leader killed half-way: every unpaid order expires exactly once', async () => {
    const expiring = await createRealInfra('expiry');
    try {
      const env = { ...expiring.env, PAYMENT_TTL: '2s', PAYMENT_EXPIRY_INTERVAL_MS: '200' };
      const [api] = await Promise.all([
        startOrdoProcess({ ...env, MODE: 'api' }, { label: 'expiry-api' }),
        startOrdoProcess({ ...env, MODE: 'worker' }, { label: 'expiry-worker' }),
      ]);
      const schedulers = await Promise.all(
        ['scheduler-a', 'scheduler-b'].map((label) => startOrdoProcess({ ...env, MODE: 'scheduler' }, { label })),
      );
      const code = 'exp_twice';
      const seller = await openShop(api, code, 20);
      const base = `/api/tenants/${code}`;
      const place = async () => {
        const placed = await expectStatus<Order>(
          await api.request(`${base}/orders`, {
            method: 'POST',
            json: { items: [{ productId: seller.productId, quantity: 1 }], dropoff: DROPOFF },
            as: seller.shopper.token,
          }),
          202,
        );
        return placed.id;
      };
      const statusOf = async (id: string) =>
        (await expectStatus<Order>(await api.request(`${base}/orders/${id}`, { as: seller.shopper.token }), 200))
          .status;
      const allExpired = (ids: string[]) =>
        waitFor(async () => (await Promise.all(ids.map(statusOf))).every((status) => status === 'EXPIRED'), {
          timeoutMs: 30_000,
          what: 'every order to expire',
        });

      const firstBatch = await Promise.all(Array.from({ length: 5 }, place));
      await allExpired(firstBatch);
      // Kill whichever scheduler leads; the other takes over the expiry of the second batch.
      const leader = schedulers.find((scheduler) =>
        scheduler.logs.some((line) => line.msg === 'scheduler became leader'),
      );
      assert.ok(leader, 'one scheduler leads');
      leader.kill('SIGKILL');
      await leader.exited;
      const secondBatch = await Promise.all(Array.from({ length: 5 }, place));
      await allExpired(secondBatch);
      const follower = schedulers.find((scheduler) => scheduler !== leader)!;
      await follower.waitForLog('scheduler became leader');

      for (const id of [...firstBatch, ...secondBatch]) {
        const events = await expectStatus<{ data: { to: string }[] }>(
          await api.request(`${base}/orders/${id}/events`, { as: seller.merchant.token }),
          200,
        );
        assert.equal(events.data.filter((event) => event.to === 'EXPIRED').length, 1, `order ${id} expired once`);
        const audit = await waitFor(
          async () => {
            const entries = await expectStatus<{ data: unknown[] }>(
              await api.request(`/api/audit-logs?action=order.expired&entityId=${id}`),
              200,
            );
            return entries.data.length > 0 ? entries.data : undefined;
          },
          { what: `the audit entry of order ${id}` },
        );
        assert.equal(audit.length, 1, `one order.expired audit entry for ${id}`);
      }
      const product = await expectStatus<{ stock: { onHand: number; reserved: number } }>(
        await api.request(`${base}/products/${seller.productId}`, { as: seller.merchant.token }),
        200,
      );
      assert.deepEqual(product.stock.reserved, 0, 'every reservation released, once');
      assert.deepEqual(product.stock.onHand, 20);
    } finally {
      await stopAllProcesses();
      await expiring.cleanup();
    }
  });
});
