// An HTTP load generator in a worker thread. Benchmarks start the server under test in their own
// process; a client on the same event loop would take turns with it and slow both down, so the
// requests are sent from a thread of their own (on a 2-core machine: roughly a core each). Requests go
// through undici pools with one request in flight per connection, like `connections` clients that each
// send the next request once the previous answered.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { now, runConcurrently } from './support.js';

export interface HttpLoad {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  body?: string;
  /** Request i sends `headerSets[i % length]`, e.g. one bearer token per customer. */
  headerSets: readonly Record<string, string>[];
  /** When set, request i carries `x-request-id: <prefix><i>`, so the server side can tell requests apart. */
  requestIdPrefix?: string;
  requests: number;
  /** Connections, and so requests in flight. */
  connections: number;
  /** A response with another status counts as unexpected (and its body is kept for the error message). */
  expectStatus: number;
  /** Collect this top-level string field of every expected JSON response body (e.g. the new resource's id). */
  collectField?: string;
}

export interface HttpLoadResult {
  /** Per request i, on support's `now()` clock (comparable with the main thread's stamps). */
  sentAt: number[];
  /** When the whole response body had arrived. */
  doneAt: number[];
  status: number[];
  collected: (string | undefined)[];
  /** How many responses had another status than expected, and the first few of them. */
  unexpected: number;
  samples: string[];
}

/** One worker thread that runs loads one after another; `close()` ends it. */
export class LoadClient {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly worker: Worker) {}

  static start(): LoadClient {
    return new LoadClient(new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE } }));
  }

  run(load: HttpLoad): Promise<HttpLoadResult> {
    const result = this.queue.then(() => this.exchange(load));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private exchange(load: HttpLoad): Promise<HttpLoadResult> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: { result?: HttpLoadResult; error?: string }) => {
        cleanUp();
        if (message.result) resolve(message.result);
        else reject(new Error(`load worker: ${message.error ?? 'no result'}`));
      };
      const onError = (error: Error) => {
        cleanUp();
        reject(error);
      };
      const onExit = (code: number) => {
        cleanUp();
        reject(new Error(`load worker exited with code ${code}`));
      };
      const cleanUp = () => {
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
        this.worker.off('exit', onExit);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', onError);
      this.worker.once('exit', onExit);
      this.worker.postMessage(load);
    });
  }
}

const WORKER_ROLE = 'ordo-bench-http-load';
const MAX_SAMPLES = 5;

/** Pools by origin and size, kept for the worker's life: later loads reuse warm connections. */
const pools = new Map<string, Pool>();

async function send(load: HttpLoad): Promise<HttpLoadResult> {
  const poolKey = `${load.origin} ${load.connections}`;
  let pool = pools.get(poolKey);
  if (!pool) {
    pool = new Pool(load.origin, { connections: load.connections, pipelining: 1 });
    pools.set(poolKey, pool);
  }
  const result: HttpLoadResult = {
    sentAt: new Array<number>(load.requests).fill(Number.NaN),
    doneAt: new Array<number>(load.requests).fill(Number.NaN),
    status: new Array<number>(load.requests).fill(0),
    collected: new Array<string | undefined>(load.requests).fill(undefined),
    unexpected: 0,
    samples: [],
  };
  const target = pool;
  await runConcurrently(load.requests, load.connections, async (index) => {
    const headers = {
      ...load.headerSets[index % load.headerSets.length],
      ...(load.requestIdPrefix === undefined ? {} : { 'x-request-id': `${load.requestIdPrefix}${index}` }),
    };
    result.sentAt[index] = now();
    const response = await target.request({ path: load.path, method: load.method, headers, body: load.body });
    const text = await response.body.text();
    result.doneAt[index] = now();
    result.status[index] = response.statusCode;
    if (response.statusCode !== load.expectStatus) {
      result.unexpected++;
      if (result.samples.length < MAX_SAMPLES) result.samples.push(`${response.statusCode} ${text.slice(0, 300)}`);
    } else if (load.collectField !== undefined) {
      const value = (JSON.parse(text) as Record<string, unknown>)[load.collectField];
      result.collected[index] = typeof value === 'string' ? value : undefined;
    }
  });
  return result;
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  const port = parentPort!;
  port.on('message', (load: HttpLoad) => {
    send(load).then(
      (result) => port.postMessage({ result }),
      (error: unknown) => port.postMessage({ error: error instanceof Error ? error.stack : String(error) }),
    );
  });
}
