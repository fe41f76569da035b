import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type {
  BusOptions,
  BusPort,
  DeadLetterSink,
  FailedDelivery,
  Subscription,
} from '../../src/infra/bus/bus.port.js';
import type { Envelope } from '../../src/infra/bus/envelope.js';
import { PermanentFailure } from '../../src/infra/bus/permanent-failure.js';
import { waitFor } from '../support/wait-for.js';

const RETRY_DELAYS_MS = [100, 200];
/** Every test uses only these consumer names, so a harness knows what to clean up. */
export const TRANSPORT_CONSUMERS = ['alpha', 'beta'] as const;

/** What a bus contract test needs from an adapter, beyond the port itself. */
export interface TransportHarness {
  bus: BusPort;
  /** Messages waiting for a consumer (ready or in a retry tier), not counting ones being handled. */
  pending(consumer: string): Promise<number>;
  dispose(): Promise<void>;
}

/** Opens a bus with these options, in a namespace of the adapter's choosing. */
export type TransportFactory = (options: Omit<BusOptions, 'namespace'>) => Promise<TransportHarness>;

export function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: randomUUID(),
    type: 'order.placed',
    tenant: 'acme',
    aggregateId: randomUUID(),
    occurredAt: new Date().toISOString(),
    attempt: 1,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    payload: { total: 1250 },
    ...overrides,
  };
}

export function recordingSink(): DeadLetterSink & { stored: FailedDelivery[] } {
  const stored: FailedDelivery[] = [];
  return { stored, store: async (failure) => void stored.push(failure) };
}

export function subscription(
  consumer: string,
  deliver: Subscription['deliver'],
  eventTypes = ['order.placed'],
): Subscription {
  return { consumer, eventTypes, deliver };
}

/** A promise the test opens by hand, to hold a handler in flight. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * The transport half of the BusPort contract: what any adapter must do with envelopes, retries,
 * dead letters and prefetch, independent of the outbox and inbox (see bus.contract.ts for those).
 */
export function busTransportContract(name: string, skip: () => false | string, factory: TransportFactory): void {
  describe(`BusPort transport contract: ${name}`, { skip: skip() }, () => {
    let harness: TransportHarness;
    const open = async (overrides: Partial<Omit<BusOptions, 'namespace'>> = {}) => {
      harness = await factory({
        retryDelaysMs: RETRY_DELAYS_MS,
        prefetch: 4,
        ...overrides,
      });
      return harness.bus;
    };
    const dispose = async () => harness?.dispose();

    it('delivers a published event to every consumer bound to its type', async (t) => {
      t.after(dispose);
      const bus = await open();
      const seen: Record<string, Envelope[]> = { alpha: [], beta: [] };
      await bus.consume(
        TRANSPORT_CONSUMERS.map((consumer) => subscription(consumer, async (e) => void seen[consumer]!.push(e))),
        recordingSink(),
      );
      const sent = envelope();
      await bus.publish([sent]);
      await waitFor(() => seen.alpha!.length === 1 && seen.beta!.length === 1, {
        what: 'both consumers to receive it',
      });
      assert.deepEqual(seen.alpha, [sent]);
      assert.deepEqual(seen.beta, [sent]);
    });

    it('retries a failed delivery after each tier delay with a growing attempt', async (t) => {
      t.after(dispose);
      const bus = await open();
      const attempts: { attempt: number; at: number }[] = [];
      await bus.consume(
        [
          subscription('alpha', async (e) => {
            attempts.push({ attempt: e.attempt, at: Date.now() });
            if (e.attempt < 3) throw new Error('database is down');
          }),
        ],
        recordingSink(),
      );
      await bus.publish([envelope()]);
      await waitFor(() => attempts.length === 3, { what: 'three attempts' });
      assert.deepEqual(
        attempts.map((a) => a.attempt),
        [1, 2, 3],
      );
      // A little slack for timer granularity; a retry must never come noticeably early.
      assert.ok(attempts[1]!.at - attempts[0]!.at >= RETRY_DELAYS_MS[0]! - 20, 'second attempt waited the first delay');
      assert.ok(attempts[2]!.at - attempts[1]!.at >= RETRY_DELAYS_MS[1]! - 20, 'third attempt waited the second delay');
      await bus.stopConsuming();
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('dead-letters after the last tier and removes the message from the queue', async (t) => {
      t.after(dispose);
      const bus = await open();
      const sink = recordingSink();
      let deliveries = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            deliveries += 1;
            throw new Error('still broken');
          }),
        ],
        sink,
      );
      const sent = envelope();
      await bus.publish([sent]);
      await waitFor(() => sink.stored.length === 1, { what: 'the dead letter' });
      await bus.stopConsuming();
      assert.equal(deliveries, RETRY_DELAYS_MS.length + 1);
      assert.deepEqual(sink.stored, [
        { consumer: 'alpha', envelope: { ...sent, attempt: RETRY_DELAYS_MS.length + 1 }, error: 'Error: still broken' },
      ]);
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('dead-letters a permanent failure at once, without retrying', async (t) => {
      t.after(dispose);
      const bus = await open();
      const sink = recordingSink();
      let deliveries = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            deliveries += 1;
            throw new PermanentFailure('unknown tenant');
          }),
        ],
        sink,
      );
      await bus.publish([envelope()]);
      await waitFor(() => sink.stored.length === 1, { what: 'the dead letter' });
      await bus.stopConsuming();
      assert.equal(deliveries, 1);
      assert.equal(sink.stored[0]!.envelope.attempt, 1);
      assert.equal(sink.stored[0]!.error, 'PermanentFailure: unknown tenant');
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('sendTo reaches only the named consumer', async (t) => {
      t.after(dispose);
      const bus = await open();
      const seen: Record<string, string[]> = { alpha: [], beta: [] };
      await bus.consume(
        TRANSPORT_CONSUMERS.map((consumer) => subscription(consumer, async (e) => void seen[consumer]!.push(e.id))),
        recordingSink(),
      );
      const replayed = envelope();
      await bus.sendTo('beta', replayed);
      await waitFor(() => seen.beta!.includes(replayed.id), { what: 'beta to receive the replay' });
      // A marker sent to alpha afterwards: once it arrives, anything sent to alpha earlier has too.
      const marker = envelope();
      await bus.sendTo('alpha', marker);
      await waitFor(() => seen.alpha!.includes(marker.id), { what: 'alpha to receive the marker' });
      assert.deepEqual(seen.alpha, [marker.id]);
      assert.deepEqual(seen.beta, [replayed.id]);
    });

    it('works on no more messages at once than the prefetch', async (t) => {
      t.after(dispose);
      const bus = await open({ prefetch: 2 });
      let running = 0;
      let most = 0;
      let done = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 30));
            running -= 1;
            done += 1;
          }),
        ],
        recordingSink(),
      );
      await bus.publish(Array.from({ length: 8 }, () => envelope()));
      await waitFor(() => done === 8, { what: 'all eight messages' });
      assert.equal(most, 2);
    });

    it('gives a batch consumer what is waiting together, each message once', async (t) => {
      t.after(dispose);
      const bus = await open();
      const sent = Array.from({ length: 12 }, () => envelope());
      // Declared but not consumed yet: the messages wait in the queue.
      await bus.declare([subscription('alpha', async () => undefined)]);
      await bus.publish(sent);
      const batches: string[][] = [];
      await bus.consume(
        [
          {
            ...subscription('alpha', async (e) => void batches.push([e.id])),
            batchSize: 5,
            deliverBatch: async (envelopes) => void batches.push(envelopes.map((e) => e.id)),
          },
        ],
        recordingSink(),
      );
      await waitFor(() => batches.flat().length === sent.length, { what: 'every message' });
      assert.deepEqual(batches.flat().sort(), sent.map((e) => e.id).sort(), 'each message once');
      assert.ok(
        batches.every((batch) => batch.length <= 5),
        `no batch over its size: ${batches.map((b) => b.length).join(', ')}`,
      );
      assert.ok(
        batches.some((batch) => batch.length > 1),
        'waiting messages come together',
      );
      await bus.stopConsuming();
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('retries a failed batch message by message: the others are applied, the bad one walks the tiers', async (t) => {
      t.after(dispose);
      const bus = await open();
      const sink = recordingSink();
      const poison = envelope();
      const good = Array.from({ length: 4 }, () => envelope());
      const applied: string[] = [];
      await bus.declare([subscription('alpha', async () => undefined)]);
      await bus.publish([good[0]!, good[1]!, poison, good[2]!, good[3]!]);
      await bus.consume(
        [
          {
            ...subscription('alpha', async (e) => {
              if (e.id === poison.id) throw new Error('poison');
              applied.push(e.id);
            }),
            batchSize: 10,
            deliverBatch: async (envelopes) => {
              if (envelopes.some((e) => e.id === poison.id)) throw new Error('a batch with the poison fails whole');
              applied.push(...envelopes.map((e) => e.id));
            },
          },
        ],
        sink,
      );
      await waitFor(() => sink.stored.length === 1, { what: 'the poison dead-lettered' });
      assert.equal(sink.stored[0]!.envelope.id, poison.id);
      assert.equal(sink.stored[0]!.envelope.attempt, RETRY_DELAYS_MS.length + 1);
      assert.deepEqual(applied.sort(), good.map((e) => e.id).sort(), 'every good message applied once');
      await bus.stopConsuming();
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('fails a delivery past its deadline into the retry tiers and frees its prefetch slot', async (t) => {
      t.after(dispose);
      const bus = await open({ prefetch: 1, handlerTimeoutMs: 300 });
      const stuck = envelope();
      const next = envelope();
      const seen: { id: string; attempt: number; aborted: boolean }[] = [];
      let abortedSignals = 0;
      await bus.consume(
        [
          subscription('alpha', async (e, signal) => {
            seen.push({ id: e.id, attempt: e.attempt, aborted: signal.aborted });
            if (e.id === stuck.id && e.attempt === 1) {
              signal.addEventListener('abort', () => (abortedSignals += 1));
              await new Promise(() => undefined); // never settles
            }
          }),
        ],
        recordingSink(),
      );
      await bus.publish([stuck, next]);
      await waitFor(() => seen.some((s) => s.id === stuck.id && s.attempt === 2), {
        what: 'the stuck message to be retried',
      });
      assert.ok(
        seen.some((s) => s.id === next.id),
        'the message behind it was handled: the slot came free',
      );
      assert.deepEqual(
        seen.filter((s) => s.id === stuck.id).map((s) => s.attempt),
        [1, 2],
      );
      assert.equal(abortedSignals, 1, "the stuck delivery's signal aborted");
      await bus.stopConsuming();
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('stopConsuming waits for the handler in flight and takes no new messages', async (t) => {
      t.after(dispose);
      const bus = await open();
      const held = gate();
      const order: string[] = [];
      let started = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            started += 1;
            await held.opened;
            order.push('handled');
          }),
        ],
        recordingSink(),
      );
      await bus.publish([envelope()]);
      await waitFor(() => started === 1, { what: 'the handler to start' });
      const stopping = bus.stopConsuming().then(() => order.push('stopped'));
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(order, [], 'stopConsuming resolved while a handler was running');
      held.open();
      await stopping;
      assert.deepEqual(order, ['handled', 'stopped']);
      assert.equal(await harness.pending('alpha'), 0, 'the handled message was acked');
      await bus.publish([envelope()]);
      await waitFor(async () => (await harness.pending('alpha')) === 1, {
        what: 'the new message to wait in the queue',
      });
      assert.equal(started, 1);
    });
  });
}
