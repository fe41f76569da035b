import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { UnitOfWork, type Emit } from '../../src/infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { DispatchService } from '../../src/modules/dispatch/dispatch.service.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { createVendor, readyDriver, setOnline, type TestDriver, type VehicleView } from '../support/fleet.js';
import { expectProblem } from '../support/problems.js';
import { expectStatus, Shop, type ShopOrder } from '../support/shop.js';
import { RealtimeClient } from '../support/sockets.js';
import { waitFor } from '../support/wait-for.js';

// Dispatch end to end: paid orders matched to the nearest eligible driver, offers on real sockets,
// decline / expiry / accept, pick-up and delivery by the assigned driver, and the failure path.

const PICKUP = { lat: 52.52, lng: 13.405 }; // the test shops' pickup (test/support/people.ts)
/** `km` east of the pickup (1° of longitude ≈ 67.7 km at this latitude). */
const east = (km: number) => ({ lat: PICKUP.lat, lng: PICKUP.lng + km / 67.7 });

interface Driver extends TestDriver {
  vehicle: VehicleView;
  socket: RealtimeClient;
}

interface OrderView extends ShopOrder {
  driver: { name: string; vehicle: { plate: string; model: string; class: string } } | null;
  eta: { minutes: number } | null;
  proofNote: string | null;
}

for (const kind of ['embedded', 'real'] as const) {
  describe(`dispatch (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let shop: Shop;
    let vendorId: string;
    const sockets: RealtimeClient[] = [];

    before(async () => {
      app = await startTestApp(kind, {
        DISPATCH_OFFER_TTL_MS: '4000',
        DISPATCH_TICK_MS: '200',
        DISPATCH_RETRY_DELAYS_MS: '300,300',
        DISPATCH_RADII_KM: '1,2,4,8',
        RIDE_DISPATCH_LEAD_MS: '1000',
      });
      shop = await Shop.open(app, `dsp_${kind.slice(0, 4)}`);
      vendorId = (await createVendor(app)).id;
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await app?.close();
    });

    /** A driver with a verified vehicle (a CAR unless said), online at `at`, listening on a socket. */
    async function onlineDriver(at: { lat: number; lng: number }, vehicleClass = 'CAR'): Promise<Driver> {
      const capacity = vehicleClass === 'XL' ? 6 : vehicleClass === 'CAR' ? 1 : 4;
      const driver = await readyDriver(app, vendorId, { class: vehicleClass, capacity });
      assert.equal((await setOnline(app, driver.token, true)).status, 200);
      const reported = await app.request('/api/drivers/me/location', {
        method: 'POST',
        json: { ...at, at: new Date().toISOString() },
        as: driver.token,
      });
      assert.equal(reported.status, 202, await reported.clone().text());
      const socket = await RealtimeClient.connect(app.url, driver.token);
      sockets.push(socket);
      return { ...driver, socket };
    }

    async function offline(...drivers: Driver[]) {
      for (const driver of drivers) assert.equal((await setOnline(app, driver.token, false)).status, 200);
    }

    const offerFor = (driver: Driver, orderId: string) =>
      waitFor(
        () =>
          driver.socket.received.find(({ event, payload }) => event === 'offer.new' && payload.orderId === orderId)
            ?.payload as { offerId: string; expiresAt: string; distanceKm: number } | undefined,
        { timeoutMs: 20_000, what: `an offer of ${orderId} to ${driver.email}` },
      );
    const closed = (driver: Driver, offerId: string) =>
      waitFor(
        () =>
          driver.socket.received.find(({ event, payload }) => event === 'offer.closed' && payload.offerId === offerId)
            ?.payload.reason,
        { what: `offer ${offerId} closed` },
      );
    const act = (driver: Driver, offerId: string, action: 'accept' | 'decline') =>
      app.request(`/api/offers/${offerId}/${action}`, { method: 'POST', as: driver.token });
    const order = (id: string, as = shop.shopper.token) => shop.order(id, as) as Promise<OrderView>;

    it('nearest declines, second nearest accepts, picks up and delivers; the customer saw every status', async () => {
      const drivers = await Promise.all([0.3, 0.6, 1.5, 3, 6].map((km) => onlineDriver(east(km))));
      const [nearest, second, , , farthest] = drivers;
      const customerSocket = await RealtimeClient.connect(app.url, shop.shopper.token);
      sockets.push(customerSocket);
      const beans = await shop.product('Dispatch beans', 1000, 5);

      const paid = await shop.paid(beans.id);
      const first = await offerFor(nearest!, paid.id);
      assert.ok(first.distanceKm > 0.2 && first.distanceKm < 0.4, `offered to the nearest (${first.distanceKm} km)`);
      const offers = await expectStatus<{ data: { id: string }[] }>(
        await app.request('/api/drivers/me/offers', { as: nearest!.token }),
        200,
      );
      assert.deepEqual(
        offers.data.map((offer) => offer.id),
        [first.offerId],
      );
      assert.equal((await order(paid.id)).status, 'DISPATCHING');

      // Someone else cannot take the nearest driver's offer.
      await expectProblem(await act(second!, first.offerId, 'accept'), 404);
      await expectStatus(await act(nearest!, first.offerId, 'decline'), 200);
      assert.equal(await closed(nearest!, first.offerId), 'declined');

      const next = await offerFor(second!, paid.id);
      assert.ok(next.distanceKm > 0.5 && next.distanceKm < 0.7, `then the second nearest (${next.distanceKm} km)`);
      await expectStatus(await act(second!, next.offerId, 'accept'), 200);
      assert.equal(await closed(second!, next.offerId), 'accepted');
      const assigned = await shop.until(paid.id, 'DRIVER_ASSIGNED');
      const view = await order(assigned.id);
      assert.equal(view.driver?.vehicle.plate, second!.vehicle.plate);
      assert.equal(view.driver?.vehicle.class, 'CAR');
      assert.match(view.driver?.vehicle.model ?? '', /Prius/);
      assert.ok(view.eta && view.eta.minutes >= 1, 'a rough ETA while the driver is on the way');
      assert.equal(farthest!.socket.received.filter(({ event }) => event === 'offer.new').length, 0);

      // Only the assigned driver moves the order on.
      await expectProblem(
        await app.request(`${shop.base}/orders/${paid.id}/pickup`, { method: 'POST', as: nearest!.token }),
        404,
      );
      await expectProblem(
        await app.request(`${shop.base}/orders/${paid.id}/deliver`, { method: 'POST', json: {}, as: second!.token }),
        409,
      );
      await expectStatus(
        await app.request(`${shop.base}/orders/${paid.id}/pickup`, { method: 'POST', as: second!.token }),
        200,
      );
      // On the way: the driver's positions make the trail, and the customer watching the order sees them.
      assert.deepEqual((await customerSocket.watch(shop.code, paid.id)).ok, true);
      const start = Date.now() - 2_000;
      const reported = await app.request('/api/drivers/me/location', {
        method: 'POST',
        json: {
          positions: [0, 1, 2].map((step) => ({
            ...east(0.6 + step * 0.5),
            at: new Date(start + step * 1_000).toISOString(),
          })),
        },
        as: second!.token,
      });
      assert.equal(reported.status, 202, await reported.clone().text());
      await waitFor(
        () =>
          customerSocket.received.some(
            ({ event, payload }) => event === 'order.location' && payload.orderId === paid.id,
          ),
        { what: 'order.location on the customer socket' },
      );
      const delivered = await expectStatus<OrderView>(
        await app.request(`${shop.base}/orders/${paid.id}/deliver`, {
          method: 'POST',
          json: { note: 'left with the neighbour' },
          as: second!.token,
        }),
        200,
      );
      assert.equal(delivered.status, 'DELIVERED');
      assert.equal(delivered.proofNote, 'left with the neighbour');

      const trips = await waitFor(
        async () => {
          const served = await expectStatus<{ data: { orderId: string; status: string; distanceKm: number }[] }>(
            await app.request(`/api/vehicles/${second!.vehicle.id}/trips`, { as: second!.token }),
            200,
          );
          return served.data[0]?.status === 'DELIVERED' ? served.data : undefined;
        },
        { what: 'the trip recorded as delivered' },
      );
      assert.deepEqual(
        trips.map((trip) => trip.orderId),
        [paid.id],
      );
      // The trail: three fixes 0.5 km apart → about 1 km driven.
      assert.ok(trips[0]!.distanceKm > 0.9 && trips[0]!.distanceKm < 1.1, `distance ${trips[0]!.distanceKm} km`);
      await expectProblem(await app.request(`/api/vehicles/${second!.vehicle.id}/trips`, { as: nearest!.token }), 404);

      const expected = ['AWAITING_PAYMENT', 'PAID', 'DISPATCHING', 'DRIVER_ASSIGNED', 'PICKED_UP', 'DELIVERED'];
      await customerSocket.waitForStatus(paid.id, 'DELIVERED');
      assert.deepEqual([...new Set(customerSocket.statuses(paid.id))], expected);
      const awaiting = customerSocket.received.find(
        ({ event, payload }) =>
          event === 'order.status' && payload.orderId === paid.id && payload.status === 'AWAITING_PAYMENT',
      );
      assert.equal(
        (awaiting?.payload.payment as { checkoutUrl?: string } | undefined)?.checkoutUrl,
        paid.payment!.checkoutUrl,
        'the push that the order awaits payment carries its checkout link',
      );

      const audit = await waitFor(
        async () => {
          const entries = await expectStatus<{ data: { action: string }[] }>(
            await app.request(`/api/audit-logs?entityId=${paid.id}&per_page=100`),
            200,
          );
          const actions = new Set(entries.data.map((entry) => entry.action));
          return actions.has('order.delivered') ? actions : undefined;
        },
        { what: 'the audit trail of the order' },
      );
      for (const action of [
        'order.placed',
        'order.validated',
        'order.paid',
        'order.dispatching',
        'order.driver_assigned',
        'order.picked_up',
        'order.delivered',
      ]) {
        assert.ok(audit.has(action), `audited: ${action}`);
      }
      const offerTrail = await expectStatus<{ data: { action: string }[] }>(
        await app.request(`/api/audit-logs?entity=offer&tenant=${shop.code}&per_page=100`),
        200,
      );
      const offerActions = offerTrail.data.map((entry) => entry.action);
      for (const action of ['offer.created', 'offer.declined', 'offer.accepted']) {
        assert.ok(offerActions.includes(action), `audited: ${action}`);
      }
      await offline(...drivers);
    });

    it('an unanswered offer expires and goes to the next driver; a late accept loses the race with 409', async () => {
      const [slow, quick] = await Promise.all([onlineDriver(east(0.2)), onlineDriver(east(0.4))]);
      const tea = await shop.product('Dispatch tea', 500, 5);
      const paid = await shop.paid(tea.id);
      const ignored = await offerFor(slow, paid.id);
      assert.equal(await closed(slow, ignored.offerId), 'expired');
      const next = await offerFor(quick, paid.id);
      // Both press accept at the same moment: the open offer wins, the expired one is refused.
      const [late, onTime] = await Promise.all([
        act(slow, ignored.offerId, 'accept'),
        act(quick, next.offerId, 'accept'),
      ]);
      await expectProblem(late, 409);
      assert.equal(onTime.status, 200);
      const assigned = await shop.until(paid.id, 'DRIVER_ASSIGNED');
      assert.equal((await order(assigned.id)).driver?.vehicle.plate, quick.vehicle.plate);

      // A driver holds one active job: the database refuses a second assignment.
      const jam = await shop.product('Dispatch jam', 500, 5);
      const another = await shop.paid(jam.id);
      const offer = await offerFor(slow, another.id);
      await expectStatus(await act(slow, offer.offerId, 'accept'), 200);
      await shop.until(another.id, 'DRIVER_ASSIGNED');
      await offline(slow, quick);
    });

    it('nobody in range: after the retries the order is DISPATCH_FAILED, refunded, stock back', async () => {
      const salt = await shop.product('Dispatch salt', 300, 4);
      const paid = await shop.paid(salt.id);
      await shop.until(paid.id, 'DISPATCH_FAILED');
      await waitFor(async () => (await shop.stock(salt.id)).onHand === 4, { what: 'stock back on the shelf' });
      await waitFor(
        async () => {
          const history = await expectStatus<{ data: { status: string }[] }>(
            await app.request(`${shop.base}/orders/${paid.id}/payments`, { as: shop.shopper.token }),
            200,
          );
          return history.data[0]?.status === 'REFUNDED';
        },
        { what: 'the payment refunded' },
      );
    });

    it('what customers see as available is right the moment dispatch fails: the catalog drops its cache after the commit', async () => {
      const driver = await onlineDriver(east(0.2));
      const pepper = await shop.product('Dispatch pepper', 300, 4);
      const paid = await shop.paid(pepper.id);
      const offer = await offerFor(driver, paid.id);
      const available = async () =>
        (
          await expectStatus<{ stock: { available: number } }>(
            await app.request(`${shop.base}/products/${pepper.id}`, { as: shop.shopper.token }),
            200,
          )
        ).stock.available;
      // The offer is open, so the order stays DISPATCHING: this read (3: one sold) is what the cache now holds.
      assert.equal(await available(), 3);
      assert.equal((await order(paid.id)).status, 'DISPATCHING');
      // The only driver declines: nobody left, and after the retries the order fails and its unit goes back.
      await expectStatus(await act(driver, offer.offerId, 'decline'), 200);
      await shop.until(paid.id, 'DISPATCH_FAILED');
      await waitFor(async () => (await available()) === 4, {
        timeoutMs: 3_000,
        what: 'available back at once, not after the cache entry expires (60 s)',
      });
    });

    it('events arriving early or out of order never leave a driver stuck with a job', async () => {
      const driver = await onlineDriver(east(0.1));
      const dispatch = app.ordo.app.get(DispatchService);
      const unitOfWork = app.ordo.app.get(UnitOfWork);
      const control = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
      const inControl = (work: (tx: Db, emit: Emit) => Promise<void>) => unitOfWork.run(control, work);
      const request = (orderId: string) => ({
        orderId,
        kind: 'DELIVERY' as const,
        rideClass: null,
        pickup: east(0.1),
        dropoff: east(1),
      });

      // Cancelled while its dispatch request was still on its way: the request, arriving after, offers nothing.
      const early = randomUUID();
      await inControl((tx, emit) => dispatch.orderMoved(tx, emit, shop.code, early, 'DISPATCHING', 'CANCELLED'));
      await inControl((tx, emit) => dispatch.request(tx, emit, shop.code, request(early)));
      const offers = await expectStatus<{ data: unknown[] }>(
        await app.request('/api/drivers/me/offers', { as: driver.token }),
        200,
      );
      assert.deepEqual(offers.data, [], 'no offer for a cancelled order');

      // Delivered, then a late "picked up": the job stays finished and the driver is free for the next one.
      const late = randomUUID();
      await inControl((tx, emit) => dispatch.request(tx, emit, shop.code, request(late)));
      const offer = await offerFor(driver, late);
      await expectStatus(await act(driver, offer.offerId, 'accept'), 200);
      await inControl((tx, emit) => dispatch.orderMoved(tx, emit, shop.code, late, 'PICKED_UP', 'DELIVERED'));
      await inControl((tx, emit) => dispatch.orderMoved(tx, emit, shop.code, late, 'DRIVER_ASSIGNED', 'PICKED_UP'));
      const next = randomUUID();
      await inControl((tx, emit) => dispatch.request(tx, emit, shop.code, request(next)));
      await offerFor(driver, next);
      // Leave nothing searching behind for the next tests' drivers.
      await inControl((tx, emit) => dispatch.orderMoved(tx, emit, shop.code, next, 'DISPATCHING', 'CANCELLED'));
      await offline(driver);
    });

    /** The platform's rides tenant is created at start; its provisioning may still be running. */
    async function ridesTenantReady(): Promise<void> {
      await waitFor(
        async () => {
          const tenant = await expectStatus<{ status: string }>(await app.request('/api/tenants/rides'), 200);
          return tenant.status === 'READY';
        },
        { timeoutMs: 30_000, what: 'the rides tenant' },
      );
    }

    /** Requests a ride as the shop's customer, pays it at its checkout, and returns it. */
    async function paidRide(body: Record<string, unknown>): Promise<{ id: string; base: string; total: number }> {
      await ridesTenantReady();
      const placed = await expectStatus<{ id: string; tenant: string; kind: string; total: number }>(
        await app.request('/api/rides', { method: 'POST', json: body, as: shop.shopper.token }),
        202,
      );
      assert.equal(placed.kind, 'RIDE');
      assert.ok(placed.total > 0, 'priced upfront');
      const base = `/api/tenants/${placed.tenant}/orders/${placed.id}`;
      const checkout = await waitFor(
        async () => {
          const ride = await expectStatus<ShopOrder>(await app.request(base, { as: shop.shopper.token }), 200);
          return ride.status === 'AWAITING_PAYMENT' ? ride.payment?.checkoutUrl : undefined;
        },
        { what: 'the ride to await payment' },
      );
      const paying = await app.request(`${new URL(checkout).pathname}/pay`, { method: 'POST', as: null });
      assert.equal(paying.status, 200);
      return { id: placed.id, base, total: placed.total };
    }

    it('refuses a ride booked in the past or more than 30 days ahead: 400 naming scheduledAt, nothing placed', async () => {
      const ride = (scheduledAt: string) => ({
        pickup: { lat: 48.14, lng: 11.58, address: 'Pickup street 1' },
        dropoff: { lat: 48.16, lng: 11.6, address: 'Dropoff street 2' },
        vehicleClass: 'ECONOMY',
        scheduledAt,
      });
      // Counted in the rides tenant itself (as the admin): GET /api/orders is a read model that may trail it.
      await ridesTenantReady();
      const placed = async () =>
        (await expectStatus<{ meta: { total: number } }>(await app.request('/api/tenants/rides/orders'), 200)).meta
          .total;
      const before = await placed();
      for (const at of [Date.now() - 60_000, Date.now() + 31 * 86_400_000]) {
        const response = await app.request('/api/rides', {
          method: 'POST',
          json: ride(new Date(at).toISOString()),
          as: shop.shopper.token,
        });
        const problem = await expectStatus<{ errors: { field: string }[] }>(response, 400);
        assert.deepEqual(
          problem.errors.map((error) => error.field),
          ['scheduledAt'],
        );
      }
      assert.equal(await placed(), before, 'nothing was placed');
    });

    it('a ride goes to the nearest driver of the booked class only; the rider sees every status', async () => {
      // Far from the shop (Munich), so no delivery job of another test can reach these drivers.
      const start = { lat: 48.14, lng: 11.58 };
      const near = (km: number) => ({ lat: start.lat, lng: start.lng + km / 67.9 });
      const car = await onlineDriver(near(0.1), 'CAR');
      const comfort = await onlineDriver(near(0.2), 'COMFORT');
      const economy = await onlineDriver(near(0.5), 'ECONOMY');
      const riderSocket = await RealtimeClient.connect(app.url, shop.shopper.token);
      sockets.push(riderSocket);

      const quote = await expectStatus<{ amount: number; currency: string }>(
        await app.request('/api/rides/estimate', {
          method: 'POST',
          json: {
            pickup: { ...start, address: 'Pickup street 1' },
            dropoff: { lat: 48.16, lng: 11.6, address: 'Dropoff street 2' },
            vehicleClass: 'ECONOMY',
          },
          as: shop.shopper.token,
        }),
        200,
      );
      const ride = await paidRide({
        pickup: { ...start, address: 'Pickup street 1' },
        dropoff: { lat: 48.16, lng: 11.6, address: 'Dropoff street 2' },
        vehicleClass: 'ECONOMY',
      });
      assert.equal(ride.total, quote.amount, 'charged what was quoted');
      const offer = await offerFor(economy, ride.id);
      await expectStatus(await act(economy, offer.offerId, 'accept'), 200);
      await waitFor(
        async () =>
          (await expectStatus<{ status: string }>(await app.request(ride.base, { as: shop.shopper.token }), 200))
            .status === 'DRIVER_ASSIGNED',
        { what: 'the ride assigned' },
      );
      for (const other of [car, comfort]) {
        assert.equal(other.socket.received.filter(({ event }) => event === 'offer.new').length, 0);
      }
      await expectStatus(await app.request(`${ride.base}/pickup`, { method: 'POST', as: economy.token }), 200);
      await expectStatus(
        await app.request(`${ride.base}/deliver`, { method: 'POST', json: {}, as: economy.token }),
        200,
      );
      await riderSocket.waitForStatus(ride.id, 'DELIVERED');
      assert.deepEqual(
        [...new Set(riderSocket.statuses(ride.id))],
        ['AWAITING_PAYMENT', 'PAID', 'DISPATCHING', 'DRIVER_ASSIGNED', 'PICKED_UP', 'DELIVERED'],
      );
      await offline(car, comfort, economy);
    });

    it('a scheduled ride waits in SCHEDULED and is dispatched shortly before its time', async () => {
      const start = { lat: 50.11, lng: 8.68 }; // Frankfurt: alone with its driver
      const xl = await onlineDriver({ lat: start.lat, lng: start.lng + 0.003 }, 'XL');
      const ride = await paidRide({
        pickup: { ...start, address: 'Airport 1' },
        dropoff: { lat: 50.05, lng: 8.57, address: 'Hotel 2' },
        vehicleClass: 'XL',
        // Far enough ahead that paying (slow on a busy machine) ends before the release time, which is
        // 1 s (RIDE_DISPATCH_LEAD_MS) before it: a ride paid after that goes straight to dispatch.
        scheduledAt: new Date(Date.now() + 10_000).toISOString(),
      });
      const history = async () =>
        (
          await expectStatus<{ data: { to: string; at: string }[] }>(
            await app.request(`${ride.base}/events`, { as: shop.shopper.token }),
            200,
          )
        ).data;
      await waitFor(async () => (await history()).some((event) => event.to === 'SCHEDULED'), {
        timeoutMs: 15_000,
        what: 'SCHEDULED',
      });
      const offer = await offerFor(xl, ride.id);
      const events = await history();
      const scheduled = events.find((event) => event.to === 'SCHEDULED')!;
      const dispatching = events.find((event) => event.to === 'DISPATCHING')!;
      assert.ok(Date.parse(dispatching.at) - Date.parse(scheduled.at) >= 1_000, 'it waited for its time');
      await expectStatus(await act(xl, offer.offerId, 'accept'), 200);
      await offline(xl);
    });
  });
}
