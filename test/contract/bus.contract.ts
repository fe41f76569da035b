import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eq, sql } from 'drizzle-orm';
import type { BusPort, Subscription } from '../../src/infra/bus/bus.port.js';
import { DeadLetterStore } from '../../src/infra/bus/dead-letter-store.js';
import type { Envelope } from '../../src/infra/bus/envelope.js';
import { InboxProcessor } from '../../src/infra/bus/inbox-processor.js';
import { writeToOutbox } from '../../src/infra/bus/outbox.js';
import { OutboxRelay } from '../../src/infra/bus/outbox-relay.js';
import { PermanentFailure } from '../../src/infra/bus/permanent-failure.js';
import { UnitOfWork } from '../../src/infra/bus/unit-of-work.js';
import type { SqlDatabase } from '../../src/infra/database/sql-database.js';
import type { TenantDatabases } from '../../src/infra/database/tenant-databases.port.js';
import { newId } from '../../src/common/ids.js';
import { ProbeRequested } from '../../src/modules/probes/probe.events.js';
import { busProbes } from '../../src/modules/probes/probes.tables.js';
import { testLogger } from '../support/logger.js';
import { waitFor } from '../support/wait-for.js';

/** What one adapter under test needs: its bus on a control database, and how to clean up after. */
export interface BusHarness {
  control: SqlDatabase;
  tenants: TenantDatabases;
  /** A bus with the given options; every call shares one namespace. */
  openBus(options: { retryDelaysMs: number[]; prefetch: number; handlerTimeoutMs: number }): BusPort | Promise<BusPort>;
  cleanup(consumers: string[]): Promise<void>;
}

type Behaviour = (envelope: Envelope) => Promise<void> | void;

/**
 * The one suite every BusPort adapter must pass, with the outbox relay, the inbox and the dead-letter
 * store around it: everything between "committed a state change" and "its effect applied once".
 */
export function busContract(name: string, skip: false | string, makeHarness: () => Promise<BusHarness>): void {
  describe(`BusPort contract: ${name}`, { skip }, () => {
    const log = testLogger();
    const retryDelaysMs = [100, 300];
    /** Long enough for any other test's handler on a busy machine; the deadline test waits it out. */
    const handlerTimeoutMs = 2_000;
    let harness: BusHarness;
    let bus: BusPort;
    let relay: OutboxRelay;
    let unitOfWork: UnitOfWork;
    let deadLetters: DeadLetterStore;
    let processor: InboxProcessor;
    const consumersUsed: string[] = [];
    const outcomes: { consumer: string; outcome: string }[] = [];
    let consumerCount = 0;

    before(async () => {
      harness = await makeHarness();
      bus = await harness.openBus({ retryDelaysMs, prefetch: 4, handlerTimeoutMs });
      relay = new OutboxRelay(bus, log);
      unitOfWork = new UnitOfWork(relay, log);
      deadLetters = new DeadLetterStore(harness.control, bus);
      processor = new InboxProcessor(harness.control, harness.tenants, unitOfWork, log, {
        consumed: (consumer, _type, outcome) => outcomes.push({ consumer, outcome }),
      });
    });

    afterEach(async () => {
      await bus.stopConsuming();
    });

    after(async () => {
      await relay.idle();
      await bus.close();
      await harness.cleanup(consumersUsed);
    });

    /** Starts a consumer of probe.requested whose handler does `behaviour`, then counts the probe. */
    async function consumeWith(
      behaviour: Behaviour,
    ): Promise<{ subscription: Subscription; attempts: Envelope[]; times: number[] }> {
      const attempts: Envelope[] = [];
      const times: number[] = [];
      const consumer = `contract-${++consumerCount}`;
      consumersUsed.push(consumer);
      const subscription = processor.subscription(
        { name: consumer, events: [ProbeRequested], scope: 'control' },
        {
          handle: async (_payload, { tx, envelope }) => {
            attempts.push(envelope);
            times.push(Date.now());
            await behaviour(envelope);
            await tx
              .update(busProbes)
              .set({ handledCount: sql`${busProbes.handledCount} + 1` })
              .where(eq(busProbes.id, envelope.aggregateId));
          },
        },
      );
      await bus.consume([subscription], deadLetters);
      return { subscription, attempts, times };
    }

    async function newProbe(): Promise<{ id: string }> {
      return unitOfWork.run(harness.control, async (tx, emit) => {
        const id = newId();
        await tx.insert(busProbes).values({ id });
        await emit(ProbeRequested, { aggregateId: id, payload: { delayMs: 0, fail: false } });
        return { id };
      });
    }

    async function handledCount(id: string): Promise<number> {
      const [row] = await harness.control.query<{ handled_count: number }>(
        sql`select handled_count from bus_probes where id = ${id}`,
      );
      return row?.handled_count ?? -1;
    }

    async function deadLetterFor(consumer: string, messageId: string) {
      const { data } = await deadLetters.list(1, 100);
      return data.find((letter) => letter.consumer === consumer && letter.messageId === messageId);
    }

    it('delivers an event committed with its state change, once', async () => {
      const { attempts } = await consumeWith(() => undefined);
      const probe = await newProbe();
      await waitFor(async () => (await handledCount(probe.id)) === 1, { what: 'the probe to be handled' });
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0]!.attempt, 1);
    });

    it('publishes nothing when the transaction rolls back', async () => {
      const { attempts } = await consumeWith(() => undefined);
      const id = newId();
      await assert.rejects(
        unitOfWork.run(harness.control, async (tx, emit) => {
          await tx.insert(busProbes).values({ id });
          await emit(ProbeRequested, { aggregateId: id, payload: { delayMs: 0, fail: false } });
          throw new Error('rolled back on purpose');
        }),
      );
      const control = await newProbe();
      await waitFor(async () => (await handledCount(control.id)) === 1, { what: 'a later probe to be handled' });
      assert.deepEqual(
        attempts.map((envelope) => envelope.aggregateId),
        [control.id],
        'only the committed event was delivered',
      );
    });

    it('applies a message delivered twice only once (inbox)', async () => {
      const { subscription, attempts } = await consumeWith(() => undefined);
      const probe = await newProbe();
      await waitFor(async () => (await handledCount(probe.id)) === 1, { what: 'first delivery' });
      const [row] = await harness.control.query<{ id: string; type: string; aggregate_id: string; payload: unknown }>(
        sql`select id, type, aggregate_id, payload from outbox where aggregate_id = ${probe.id}`,
      );
      const again: Envelope = {
        id: row!.id,
        type: row!.type,
        tenant: null,
        aggregateId: row!.aggregate_id,
        occurredAt: new Date().toISOString(),
        attempt: 1,
        payload: row!.payload,
      };
      await bus.publish([again]);
      await waitFor(
        () => outcomes.some((entry) => entry.consumer === subscription.consumer && entry.outcome === 'duplicate'),
        { what: 'the redelivery to reach the consumer' },
      );
      assert.equal(await handledCount(probe.id), 1, 'the duplicate had no effect');
      assert.equal(attempts.length, 1, 'the handler never ran for the duplicate');
    });

    it('retries a failing handler after growing delays, then applies it once', async () => {
      let failures = 0;
      const { attempts, times } = await consumeWith(() => {
        if (failures < 2) {
          failures++;
          throw new Error('transient');
        }
      });
      const probe = await newProbe();
      await waitFor(async () => (await handledCount(probe.id)) === 1, { what: 'success on the third attempt' });
      assert.deepEqual(
        attempts.map((envelope) => envelope.attempt),
        [1, 2, 3],
      );
      const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
      // Each retry waits at least its tier's delay (less a little clock slack between processes).
      assert.ok(gaps[0]! >= retryDelaysMs[0]! - 20, `first retry after ${gaps[0]} ms`);
      assert.ok(gaps[1]! >= retryDelaysMs[1]! - 20, `second retry after ${gaps[1]} ms`);
    });

    it('dead-letters a poison message after the last tier, with its error, and replays it', async () => {
      let poisoned = true;
      const { subscription, attempts, times } = await consumeWith(() => {
        if (poisoned) throw new Error('poison pill');
      });
      const probe = await newProbe();
      const messageId = await waitFor(async () => attempts[0]?.id, { what: 'first attempt' });
      const letter = await waitFor(() => deadLetterFor(subscription.consumer, messageId), {
        what: 'the dead letter',
      });
      assert.equal(letter.attempts, retryDelaysMs.length + 1);
      assert.match(letter.error, /poison pill/);
      assert.deepEqual(
        attempts.map((envelope) => envelope.attempt),
        [1, 2, 3],
      );
      assert.ok(
        times[2]! - times[0]! >= retryDelaysMs[0]! + retryDelaysMs[1]! - 40,
        'the retries waited for their delays',
      );
      assert.equal(await handledCount(probe.id), 0);

      poisoned = false;
      await deadLetters.replay(letter.id);
      await waitFor(async () => (await handledCount(probe.id)) === 1, { what: 'the replayed message to apply' });
      const replayed = await deadLetterFor(subscription.consumer, messageId);
      assert.ok(replayed?.replayedAt, 'the dead letter records its replay');
    });

    it('dead-letters a permanent failure at once, without retries', async () => {
      const { subscription, attempts } = await consumeWith(() => {
        throw new PermanentFailure('cannot ever succeed');
      });
      await newProbe();
      const messageId = await waitFor(async () => attempts[0]?.id, { what: 'first attempt' });
      const letter = await waitFor(() => deadLetterFor(subscription.consumer, messageId), { what: 'the dead letter' });
      assert.equal(letter.attempts, 1);
      assert.equal(attempts.length, 1);
    });

    it('sweeps outbox rows no relay published (a crash after commit)', async () => {
      await consumeWith(() => undefined);
      const id = newId();
      // Written without the unit of work: nobody kicks the relay, as after a crash right after commit.
      await harness.control.transaction(async (tx) => {
        await tx.insert(busProbes).values({ id });
        await writeToOutbox(tx, ProbeRequested, { aggregateId: id, payload: { delayMs: 0, fail: false } });
      });
      assert.equal(await handledCount(id), 0);
      const published = await relay.sweep(harness.control, 0);
      assert.ok(published >= 1);
      await waitFor(async () => (await handledCount(id)) === 1, { what: 'the swept event to apply' });
    });

    it("applies a batch consumer's messages in one transaction, each once, a redelivered one not again", async () => {
      const consumer = `contract-${++consumerCount}`;
      consumersUsed.push(consumer);
      const handled: string[] = [];
      const transactions = new Set<unknown>();
      const subscription = processor.subscription(
        { name: consumer, events: [ProbeRequested], scope: 'control', batch: 10 },
        {
          handle: async (_payload, { tx, envelope }) => {
            handled.push(envelope.aggregateId);
            transactions.add(tx);
            await tx
              .update(busProbes)
              .set({ handledCount: sql`${busProbes.handledCount} + 1` })
              .where(eq(busProbes.id, envelope.aggregateId));
          },
        },
      );
      // The probes' events wait in the consumer's queue before it starts, so they come as one batch.
      await bus.declare([subscription]);
      const probes = await Promise.all(Array.from({ length: 6 }, () => newProbe()));
      await relay.idle();
      await bus.consume([subscription], deadLetters);
      await waitFor(async () => (await Promise.all(probes.map((p) => handledCount(p.id)))).every((n) => n === 1), {
        what: 'every probe applied',
      });
      assert.ok(transactions.size < probes.length, `${probes.length} messages in ${transactions.size} transactions`);
      // The first probe's event, delivered again: its inbox row makes it a no-op.
      const [row] = await harness.control.query<{ id: string; type: string; aggregate_id: string; payload: unknown }>(
        sql`select id, type, aggregate_id, payload from outbox where aggregate_id = ${probes[0]!.id}`,
      );
      await bus.publish([
        {
          id: row!.id,
          type: row!.type,
          tenant: null,
          aggregateId: row!.aggregate_id,
          occurredAt: new Date().toISOString(),
          attempt: 1,
          payload: row!.payload,
        },
      ]);
      await waitFor(() => outcomes.some((o) => o.consumer === consumer && o.outcome === 'duplicate'), {
        what: 'the redelivery',
      });
      assert.deepEqual(
        await Promise.all(probes.map((p) => handledCount(p.id))),
        probes.map(() => 1),
      );
      assert.equal(handled.length, probes.length, 'the handler never ran for the duplicate');
    });

    it('rolls back the transaction of a handler past its deadline and applies the retry once', async () => {
      const consumer = `contract-${++consumerCount}`;
      consumersUsed.push(consumer);
      const attempts: number[] = [];
      let lateWrite: Promise<unknown> | undefined;
      const subscription = processor.subscription(
        { name: consumer, events: [ProbeRequested], scope: 'control' },
        {
          handle: async (_payload, { tx, envelope }) => {
            attempts.push(envelope.attempt);
            const bump = () =>
              tx
                .update(busProbes)
                .set({ handledCount: sql`${busProbes.handledCount} + 1` })
                .where(eq(busProbes.id, envelope.aggregateId));
            await bump();
            if (envelope.attempt > 1) return;
            // Stuck past the deadline with a write made; anything it tries later must fail.
            await new Promise((resolve) => setTimeout(resolve, handlerTimeoutMs + 1_000));
            lateWrite = bump().then(
              () => 'written',
              () => 'refused',
            );
          },
        },
      );
      await bus.consume([subscription], deadLetters);
      const probe = await newProbe();
      await waitFor(async () => attempts.includes(2) && (await handledCount(probe.id)) === 1, {
        timeoutMs: handlerTimeoutMs + 10_000,
        what: 'the retry after the deadline to apply',
      });
      await waitFor(() => lateWrite, { timeoutMs: 5_000, what: 'the stuck handler to try writing again' });
      assert.equal(await lateWrite, 'refused', 'the abandoned transaction refused a late statement');
      assert.equal(await handledCount(probe.id), 1, "the first attempt's write was rolled back");
      assert.deepEqual(attempts, [1, 2]);
    });

    it('bounds concurrency by prefetch and finishes in-flight work when stopping', async () => {
      let active = 0;
      let peak = 0;
      let finished = 0;
      await consumeWith(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 150));
        active--;
        finished++;
      });
      const probes = await Promise.all(Array.from({ length: 10 }, () => newProbe()));
      await waitFor(() => active > 0, { what: 'work to start' });
      await bus.stopConsuming();
      assert.equal(active, 0, 'stopConsuming waited for handlers in flight');
      assert.ok(peak <= 4, `at most prefetch (4) at once, saw ${peak}`);
      assert.ok(finished > 0);
      const counts = await Promise.all(probes.map((probe) => handledCount(probe.id)));
      assert.ok(counts.every((count) => count <= 1));
    });
  });
}
