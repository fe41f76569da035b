import type { Socket } from 'node:net';
import pg from 'pg';
import { declareNamespaceQueues, purgeNamespaceQueues } from './rabbit-queues.js';
import { serviceUrls } from './services.js';
import { recordTestStats } from './test-stats.js';

/*
 * RabbitMQ namespaces for tests, reused across tests and runs instead of declared and deleted per test:
 * quorum queues are Raft groups, and their churn wedged the broker (DESIGN §6, §12). A pool is a name
 * and fixed slots, `<pool>_0`, `<pool>_1`, …; a test process leases a slot with a PostgreSQL session
 * advisory lock, taken on one dedicated connection and kept for the life of the process (exiting
 * closes the connection, which frees the lock). Within the process a released slot goes back to a
 * free list, because the lock is re-entrant for its session and cannot tell two tests apart.
 * Pools hold one kind of test each (the app's consumers, the bus tests' consumers), so a namespace's
 * queue set stays small and the same from run to run.
 */

/** About one slot per test file running at once, a few files hold two: far more than a run needs. */
const MAX_SLOTS = 32;

export interface NamespaceLease {
  readonly namespace: string;
  /** Makes sure these consumers' queues exist too, empty. */
  addConsumers(consumers: string[]): Promise<void>;
  /** Empties every queue of the lease's consumers and returns the namespace to the pool; once. */
  release(): Promise<void>;
}

interface Slot {
  namespace: string;
  inUse: boolean;
}

/** Per pool, the slots whose lock this process holds. */
const heldSlots = new Map<string, Slot[]>();
let lockConnection: Promise<pg.Client> | undefined;
let lockConnectionLost: Error | undefined;
/** Slots are taken one at a time: two concurrent leases must not both "win" the same re-entrant lock. */
let taking: Promise<unknown> = Promise.resolve();

/** A namespace of `pool` for this test alone until `release()`, with the consumers' queues declared and empty. */
export async function leaseNamespace(
  pool: string,
  consumers: string[],
  retryDelaysMs: number[],
): Promise<NamespaceLease> {
  const took = taking.then(() => takeSlot(pool));
  taking = took.catch(() => undefined);
  const slot = await took;
  recordTestStats({ namespace: slot.namespace, leased: true });
  const leased = new Set<string>();
  let released = false;
  const lease: NamespaceLease = {
    namespace: slot.namespace,
    async addConsumers(more) {
      const added = more.filter((consumer) => !leased.has(consumer));
      if (added.length === 0) return;
      await declareNamespaceQueues(slot.namespace, added, retryDelaysMs);
      // Normally empty already; not after a run that was killed mid-test.
      await purgeNamespaceQueues(slot.namespace, added, retryDelaysMs);
      for (const consumer of added) leased.add(consumer);
    },
    async release() {
      // Twice would free a slot that may be leased again by then.
      if (released) return;
      released = true;
      try {
        await purgeNamespaceQueues(slot.namespace, [...leased], retryDelaysMs);
      } finally {
        slot.inUse = false;
      }
    },
  };
  try {
    await lease.addConsumers(consumers);
  } catch (error) {
    slot.inUse = false;
    throw error;
  }
  return lease;
}

async function takeSlot(pool: string): Promise<Slot> {
  if (lockConnectionLost) throw lockConnectionLost;
  let slots = heldSlots.get(pool);
  if (!slots) heldSlots.set(pool, (slots = []));
  const free = slots.find((slot) => !slot.inUse);
  if (free) {
    free.inUse = true;
    return free;
  }
  const client = await openLockConnection();
  for (let number = 0; number < MAX_SLOTS; number++) {
    const namespace = `${pool}_${number}`;
    if (slots.some((slot) => slot.namespace === namespace)) continue;
    if (await tryLock(client, pool, number)) {
      const slot = { namespace, inUse: true };
      slots.push(slot);
      return slot;
    }
  }
  throw new Error(`All ${MAX_SLOTS} namespaces of the ${pool} pool are leased by other test processes`);
}

function openLockConnection(): Promise<pg.Client> {
  lockConnection ??= (async () => {
    const client = new pg.Client({ connectionString: serviceUrls.postgres });
    client.on('error', (error) => {
      // Our locks went with the connection: another process may lease our slots now, so stop leasing.
      lockConnectionLost = new Error(`The namespace pool lost its PostgreSQL connection: ${error.message}`);
    });
    await client.connect();
    // Held for the life of the process, but must not keep a finished test file's process alive.
    socketOf(client).unref();
    return client;
  })();
  return lockConnection;
}

async function tryLock(client: pg.Client, pool: string, slot: number): Promise<boolean> {
  // While the query runs, the socket keeps the process alive, or it could exit waiting for the answer.
  socketOf(client).ref();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock(hashtext($1), $2) as locked',
      [pool, slot],
    );
    return rows[0]?.locked === true;
  } finally {
    socketOf(client).unref();
  }
}

function socketOf(client: pg.Client): Socket {
  return client.connection.stream as Socket;
}
