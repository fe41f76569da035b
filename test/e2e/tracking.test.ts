import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { newId } from '../../src/common/ids.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { GEO_INDEX, type GeoIndexPort } from '../../src/infra/geo/geo.port.js';
import { SilentDriversJob } from '../../src/modules/tracking/silent-drivers.job.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import {
  createVendor,
  expectStatus,
  readyDriver,
  setOnline,
  type DriverView,
  type Page,
  type TestDriver,
  type VendorView,
} from '../support/fleet.js';
import { customer, person, readyTenant } from '../support/people.js';
import { expectProblem } from '../support/problems.js';
import { RealtimeClient } from '../support/sockets.js';
import { waitFor } from '../support/wait-for.js';

/** The persist throttle these suites run with: long enough that two quick posts fall inside it. */
const PERSIST_MS = 2_000;
const MINUTE = 60_000;

interface LastKnown {
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  at: string;
  live: boolean;
}

interface PersistedRow {
  lat: number;
  lng: number;
  at: Date | string;
  updated_at: Date | string;
}

/** A fix `agoMs` before now (negative: ahead), at a point near Alexanderplatz unless overridden. */
const fix = (agoMs = 0, overrides: Record<string, unknown> = {}) => ({
  lat: 52.52,
  lng: 13.405,
  at: new Date(Date.now() - agoMs).toISOString(),
  ...overrides,
});

/** Redis hands coordinates back through a 52-bit geohash: equal within a metre. */
const near = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-5, `${actual} ≈ ${expected}`);

for (const kind of ['embedded', 'real'] as const) {
  describe(`tracking: live positions (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let control: SqlDatabase;
    let geo: GeoIndexPort;
    let vendor: VendorView;
    const clients: RealtimeClient[] = [];

    before(async () => {
      app = await startTestApp(kind, { DRIVER_POSITION_PERSIST_MS: String(PERSIST_MS) });
      control = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
      geo = app.ordo.app.get<GeoIndexPort>(GEO_INDEX);
      vendor = await createVendor(app);
    });
    after(async () => {
      for (const client of clients) client.close();
      await app?.close();
    });

    const onlineDriver = async (): Promise<TestDriver> => {
      const driver = await readyDriver(app, vendor.id);
      await expectStatus(await setOnline(app, driver.token, true), 200);
      return driver;
    };
    const report = (token: string, body: unknown) =>
      app.request('/api/drivers/me/location', { method: 'POST', json: body, as: token });
    const accepted = async (token: string, body: unknown) =>
      (await expectStatus<{ accepted: number }>(await report(token, body), 202)).accepted;
    const persisted = async (driverId: string) =>
      (
        await control.query<PersistedRow>(
          sql`select lat, lng, at, updated_at from driver_positions where driver_id = ${driverId}`,
        )
      )[0];
    const isOnline = async (driver: TestDriver) =>
      (await expectStatus<DriverView>(await app.request('/api/drivers/me', { as: driver.token }), 200)).online;
    const connect = async (token: string) => {
      const client = await RealtimeClient.connect(app.url, token);
      clients.push(client);
      return client;
    };
    const emitLocation = (client: RealtimeClient, payload: unknown) =>
      client.socket.timeout(5_000).emitWithAck('driver.location', payload) as Promise<Record<string, unknown>>;

    describe('validation', () => {
      // Each body is built when its test runs: a fix stamped at collection time is no longer "in the
      // future" a minute later, when a loaded machine gets to this suite.
      const cases: [string, () => unknown, string][] = [
        ['latitude beyond 90', () => fix(0, { lat: 90.5 }), 'lat'],
        ['longitude beyond -180', () => fix(0, { lng: -180.1 }), 'lng'],
        ['a latitude that is not a number', () => fix(0, { lat: '52.5' }), 'lat'],
        ['a heading beyond 360', () => fix(0, { heading: 361 }), 'heading'],
        ['a negative speed', () => fix(0, { speed: -1 }), 'speed'],
        ['an unknown field', () => fix(0, { altitude: 30 }), 'altitude'],
        ['a missing time', () => ({ lat: 52.5, lng: 13.4 }), 'at'],
        ['a time that is not ISO 8601', () => fix(0, { at: '2025-01-01 10:00' }), 'at'],
        ['a time in the future (beyond 5 s of skew)', () => fix(-60_000), 'at'],
        ['a time more than a day old', () => fix(25 * 60 * MINUTE), 'at'],
        ['an empty batch', () => ({ positions: [] }), 'positions'],
        ['a batch of 101', () => ({ positions: Array.from({ length: 101 }, () => fix()) }), 'positions'],
        ['an unknown field beside the batch', () => ({ positions: [fix()], driverId: randomUUID() }), 'driverId'],
        [
          'the fourth fix of a batch in the future',
          () => ({ positions: [fix(3), fix(2), fix(1), fix(-60_000)] }),
          'positions.3.at',
        ],
        ['a bad coordinate deep in a batch', () => ({ positions: [fix(), fix(0, { lng: 200 })] }), 'positions.1.lng'],
      ];
      let driver: TestDriver;
      before(async () => {
        driver = await onlineDriver();
      });

      for (const [what, body, field] of cases) {
        it(`refuses ${what}: 400 naming ${field}`, async () => {
          const problem = await expectProblem(await report(driver.token, body()), 400);
          assert.ok(
            problem.errors?.some((error) => error.field === field),
            `${field} in ${JSON.stringify(problem.errors)}`,
          );
        });
      }

      it('refuses non-finite numbers (a JSON 1e999 is Infinity): 400 naming the field', async () => {
        const response = await app.request('/api/drivers/me/location', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"lat": 1e999, "lng": 13.4, "at": "${new Date().toISOString()}"}`,
          as: driver.token,
        });
        const problem = await expectProblem(response, 400);
        assert.ok(
          problem.errors?.some((error) => error.field === 'lat'),
          JSON.stringify(problem.errors),
        );
      });

      it('wrote nothing for any of them: no row, not in the live index', async () => {
        assert.equal(await persisted(driver.driver.id), undefined);
        assert.equal(await geo.position(driver.driver.id), undefined);
      });
    });

    it('a batch moves the driver to its newest fix in the live index, whatever the order; an older fix does not', async () => {
      const driver = await onlineDriver();
      const newest = fix(1_000, { lat: 52.53, lng: 13.41, heading: 90, speed: 8.5 });
      const count = await accepted(driver.token, {
        positions: [fix(3_000, { lat: 52.5 }), newest, fix(2_000, { lat: 52.51 })],
      });
      assert.equal(count, 3);
      const indexed = await geo.position(driver.driver.id);
      near(indexed?.lat, 52.53);
      near(indexed?.lng, 13.41);
      assert.equal(indexed?.at.toISOString(), newest.at);

      assert.equal(await accepted(driver.token, fix(10_000, { lat: 48.1 })), 1, 'a late fix is accepted');
      near((await geo.position(driver.driver.id))?.lat, 52.53);

      const mine = await expectStatus<LastKnown>(
        await app.request(`/api/drivers/${driver.driver.id}/location`, { as: driver.token }),
        200,
      );
      assert.deepEqual(mine, { lat: 52.53, lng: 13.41, heading: 90, speed: 8.5, at: newest.at, live: true });
      const admins = await expectStatus<LastKnown>(await app.request(`/api/drivers/${driver.driver.id}/location`), 200);
      assert.deepEqual(admins, mine);
    });

    it("a driver's last known position is theirs and the admins' only: anyone else's is a 404 like no position", async () => {
      const owner = await onlineDriver();
      const intruder = await onlineDriver();
      await accepted(owner.token, fix());
      const theirs = await expectProblem(
        await app.request(`/api/drivers/${owner.driver.id}/location`, { as: intruder.token }),
        404,
      );
      const nobodys = await expectProblem(
        await app.request(`/api/drivers/${randomUUID()}/location`, { as: intruder.token }),
        404,
      );
      assert.equal(theirs.type, nobodys.type);
      // An admin asking for a driver who never reported: 404 as well.
      await expectProblem(await app.request(`/api/drivers/${intruder.driver.id}/location`), 404);
    });

    it('the last-known row is written at most once per DRIVER_POSITION_PERSIST_MS, and only with a newer fix', async () => {
      const driver = await onlineDriver();
      const started = Date.now();
      await accepted(driver.token, fix(0, { lat: 52.4 }));
      await accepted(driver.token, fix(0, { lat: 52.41 }));
      assert.ok(Date.now() - started < PERSIST_MS, 'both posts fell inside the window (a very slow machine?)');
      const first = (await persisted(driver.driver.id))!;
      assert.equal(first.lat, 52.4, 'the second post within the window left the row alone');
      near((await geo.position(driver.driver.id))?.lat, 52.41);

      let lat = 52.42;
      const later = await waitFor(
        async () => {
          lat += 0.001;
          await accepted(driver.token, fix(0, { lat }));
          const row = (await persisted(driver.driver.id))!;
          return row.lat !== first.lat ? row : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200, what: 'the row to take a newer fix after the window' },
      );
      assert.equal(later.lat, lat, 'the fix posted after the window');
      const gap = new Date(later.updated_at).getTime() - new Date(first.updated_at).getTime();
      assert.ok(gap >= PERSIST_MS, `rewritten ${gap} ms after the first write`);

      // After the window, an older fix still does not move the row back.
      await waitFor(async () => Date.now() - new Date(later.updated_at).getTime() > PERSIST_MS + 200, {
        timeoutMs: 5_000,
        what: 'the window to pass again',
      });
      await accepted(driver.token, fix(60_000, { lat: 40 }));
      assert.equal((await persisted(driver.driver.id))!.lat, lat);
    });

    it('refuses a driver who is offline and a DRIVER with no driver profile (409, with the reason), writing nothing', async () => {
      const offline = await readyDriver(app, vendor.id);
      const problem = await expectProblem(await report(offline.token, fix()), 409);
      assert.equal(problem.reason, 'offline');
      assert.match(problem.detail ?? '', /go online/);
      assert.equal(await persisted(offline.driver.id), undefined);
      assert.equal(await geo.position(offline.driver.id), undefined);

      const noProfile = await person(app, 'DRIVER');
      assert.equal((await expectProblem(await report(noProfile.token, fix()), 409)).reason, 'no_driver_profile');
      const shopper = await customer(app, 'tracking-customer');
      await expectProblem(await report(shopper.token, fix()), 403);
    });

    it('driver.location over the socket: the same report, answered by ack; refused for anyone but an online driver', async () => {
      const driver = await onlineDriver();
      const socket = await connect(driver.token);
      assert.deepEqual(await emitLocation(socket, { positions: [fix(500, { lat: 52.6 }), fix(1_000)] }), {
        ok: true,
        accepted: 2,
      });
      near((await geo.position(driver.driver.id))?.lat, 52.6);

      const invalid = await emitLocation(socket, { positions: [fix(), fix(0, { lat: 95 })] });
      assert.equal(invalid.ok, false);
      assert.match(String(invalid.error), /positions\.1\.lat/);

      const shopper = await connect((await customer(app, 'socket-customer')).token);
      assert.deepEqual(await emitLocation(shopper, fix()), { ok: false, error: 'only a DRIVER reports positions' });

      const offline = await connect((await readyDriver(app, vendor.id)).token);
      const refused = await emitLocation(offline, fix());
      assert.equal(refused.ok, false);
      assert.match(String(refused.error), /offline/);
    });

    it('while serving a job, fixes join its trail and order.location reaches the order’s and the tenant’s rooms', async () => {
      const code = `track_${kind}`;
      const merchant = await readyTenant(app, code);
      const watcher = await connect(merchant.token);
      const driver = await onlineDriver();
      const [jobId, orderId] = [newId(), randomUUID()];
      // The job as dispatch leaves it once the driver accepted (the dispatch suites cover getting there).
      await control.query(sql`
        insert into dispatch_jobs (id, tenant, order_id, kind, pickup_lat, pickup_lng, dropoff_lat, dropoff_lng,
                                   status, driver_id, vehicle_id, assigned_at)
        values (${jobId}, ${code}, ${orderId}, 'DELIVERY', 52.52, 13.405, 52.5, 13.4,
                'ASSIGNED', ${driver.driver.id}, ${driver.driver.activeVehicleId}, now())`);

      const newest = fix(1_000, { lat: 52.521, heading: 10 });
      await accepted(driver.token, { positions: [fix(2_000, { lat: 52.52 }), newest] });
      const pushed = await waitFor(
        () => watcher.received.find(({ event, payload }) => event === 'order.location' && payload.orderId === orderId),
        { what: 'order.location on the tenant room' },
      );
      assert.deepEqual(pushed.payload, {
        tenant: code,
        orderId,
        lat: 52.521,
        lng: 13.405,
        heading: 10,
        speed: null,
        at: newest.at,
      });

      const trail = await control.query<{ lat: number }>(
        sql`select lat from job_trail where job_id = ${jobId} order by at`,
      );
      assert.deepEqual(
        trail.map((point) => point.lat),
        [52.52, 52.521],
      );
      const [job] = await control.query<{ distance_m: number }>(
        sql`select distance_m from dispatch_jobs where id = ${jobId}`,
      );
      assert.ok(job && job.distance_m > 100 && job.distance_m < 120, `about 111 m, got ${job?.distance_m}`);
    });

    it('going offline takes the driver out of the live index', async () => {
      const driver = await onlineDriver();
      await accepted(driver.token, fix());
      assert.ok(await geo.position(driver.driver.id));
      await expectStatus(await setOnline(app, driver.token, false), 200);
      await waitFor(async () => (await geo.position(driver.driver.id)) === undefined, {
        timeoutMs: 15_000,
        what: 'the driver-position-cleanup consumer to remove the driver',
      });
    });

    it('the silent-drivers job takes drivers offline who reported nothing for DRIVER_SILENT_MINUTES', async () => {
      const backdate = (driver: TestDriver) =>
        control.query(
          sql`update drivers set online_since = now() - interval '10 minutes' where id = ${driver.driver.id}`,
        );
      const [fellSilent, neverReported, reporting, justOnline, backOnline] = (await Promise.all(
        Array.from({ length: 5 }, () => onlineDriver()),
      )) as [TestDriver, TestDriver, TestDriver, TestDriver, TestDriver];
      for (const driver of [fellSilent, neverReported, reporting]) await backdate(driver);
      await accepted(fellSilent.token, fix(10 * MINUTE));
      await accepted(reporting.token, fix());
      // Reported last 10 minutes ago, but online again only now: not silent yet.
      await accepted(backOnline.token, fix(10 * MINUTE));

      await app.ordo.app.get(SilentDriversJob).run();

      assert.deepEqual(
        await Promise.all([fellSilent, neverReported, reporting, justOnline, backOnline].map(isOnline)),
        [false, false, true, true, true],
      );
      assert.equal(await geo.position(fellSilent.driver.id), undefined);
      assert.ok(await geo.position(reporting.driver.id));
      assert.equal(await geo.position(backOnline.driver.id), undefined, 'its stale fix left the index all the same');
      assert.equal((await expectProblem(await report(fellSilent.token, fix()), 409)).reason, 'offline');

      const offline = await waitFor(
        async () => {
          const page = await expectStatus<Page<{ action: string; summary: { after: { reason?: string } } }>>(
            await app.request(`/api/audit-logs?entityId=${neverReported.driver.id}&entity=driver`),
            200,
          );
          return page.data.find((entry) => entry.action === 'driver.went_offline');
        },
        { timeoutMs: 15_000, what: 'the driver.went_offline audit entry' },
      );
      assert.equal(offline.summary.after.reason, 'silent');
    });
  });
}
