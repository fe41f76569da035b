import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { projectPath } from '../../src/common/project-path.js';
import { TEST_ADMIN_ENV, testRequester, type TestRequest } from './auth.js';
import { envSchema } from '../../src/config/env.schema.js';
import { waitFor } from './wait-for.js';

/** One parsed JSON log line of a child process (pino: `level` is a number, `msg` the message). */
export interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

export type Mode = 'all' | 'api' | 'worker' | 'scheduler';

export interface OrdoProcess {
  readonly mode: Mode;
  readonly label: string;
  readonly pid: number;
  /** Base URL (http://127.0.0.1:port) for the api and all modes. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: boolean;
  /** Every JSON log line the process printed so far. */
  readonly logs: readonly LogLine[];
  /** The last lines of stdout and stderr, for failure messages. */
  output(lines?: number): string;
  /** Resolves with the first log line matching (already printed or still to come); rejects on timeout or exit. */
  waitForLog(match: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
  /** fetch against the process, JSON by default. */
  /** fetch against this process: `json` bodies, signed in as the test admin unless `as` says otherwise. */
  request: TestRequest;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Names the process in failure messages. */
  label?: string;
  /** How long to wait for readiness (default 60 s: an embedded start migrates a fresh PGlite, slow on a busy machine). */
  readyTimeoutMs?: number;
  /** Don't wait for readiness (tests that watch startup themselves). */
  waitReady?: boolean;
  /** Extra flags for node (a benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
}

const MAIN = projectPath('dist', 'src', 'main.js');
const KEPT_LINES = 400;

/** Ordo's own variables are never inherited from the test runner: each process gets exactly what it is given. */
const ORDO_VARIABLES = new Set(Object.keys(envSchema.shape));

/**
 * Loaded before main.js in every child: when this test process dies without cleaning up (a crash, a
 * runner timeout), stdin closes and the child kills itself, so no Ordo process outlives its test.
 */
const ORPHAN_GUARD =
  'data:text/javascript,' +
  encodeURIComponent(
    `process.stdin.on('error', () => {});
     process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
     process.stdin.on('close', () => process.kill(process.pid, 'SIGKILL'));
     process.stdin.resume();
     process.stdin.unref?.();`,
  );

const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port nothing listens on right now (the OS picks it; released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node dist/src/main.js` as a child process with exactly the Ordo variables in `env`
 * (MODE, URLs, …; PATH and the like are inherited), and waits until it is ready: `/api/health/ready`
 * answers 200 (api, all) or the log says it is up (worker: 'worker consuming'; scheduler: leader or
 * follower). LOG_LEVEL is info unless given (readiness is read from the log). Call `stopAllProcesses`
 * in `after` hooks; a process that fails to become ready is killed and its output is in the error.
 */
export async function startOrdoProcess(env: Record<string, string>, options: StartOptions = {}): Promise<OrdoProcess> {
  const mode = (env.MODE ?? 'all') as Mode;
  const serves = mode === 'all' || mode === 'api';
  for (let attempt = 1; ; attempt++) {
    const port = serves ? (env.PORT ? Number(env.PORT) : await freePort()) : undefined;
    const child = spawnOrdo(mode, { ...env, ...(port === undefined ? {} : { PORT: String(port) }) }, port, options);
    if (options.waitReady === false) return child;
    try {
      await waitUntilReady(child, options.readyTimeoutMs ?? 60_000);
      return child;
    } catch (error) {
      child.kill('SIGKILL');
      await child.exited;
      // Another process took the port between freePort() and listen: try another one.
      if (serves && !env.PORT && attempt < 3 && /EADDRINUSE/.test(child.output())) continue;
      throw error;
    }
  }
}

/** SIGKILLs every process still running (cleanup: no graceful shutdown needed) and waits for them. */
export async function stopAllProcesses(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

function childEnv(given: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...TEST_ADMIN_ENV, ...given };
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !ORDO_VARIABLES.has(name) && !name.startsWith('NODE_TEST')),
  );
  return {
    ...inherited,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL:
      process.env.TEST_LOG_LEVEL === 'debug' || process.env.TEST_LOG_LEVEL === 'trace'
        ? process.env.TEST_LOG_LEVEL
        : 'info',
    LOG_PRETTY: 'false',
    ...env,
  };
}

function spawnOrdo(
  mode: Mode,
  env: Record<string, string>,
  port: number | undefined,
  options: StartOptions,
): OrdoProcess {
  const label = options.label ?? mode;
  // The working directory is a neutral one, so a developer's .env in the checkout never leaks in.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', ORPHAN_GUARD, MAIN], {
    cwd: tmpdir(),
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: LogLine[] = [];
  const recent: string[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const echo = process.env.TEST_LOG_LEVEL && process.env.TEST_LOG_LEVEL !== 'silent';
  const remember = (line: string, stream: 'out' | 'err') => {
    if (line.trim() === '') return;
    recent.push(stream === 'err' ? `[stderr] ${line}` : line);
    if (recent.length > KEPT_LINES) recent.shift();
    if (echo) process.stderr.write(`[${label} ${child.pid}] ${line}\n`);
    if (stream === 'out' && line.startsWith('{')) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
    notify();
  };
  for (const [stream, source] of [
    ['out', child.stdout],
    ['err', child.stderr],
  ] as const) {
    let buffered = '';
    source.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) remember(line, stream);
    });
    source.on('end', () => {
      if (buffered) remember(buffered, stream);
      buffered = '';
    });
  }
  child.stdin.on('error', () => undefined);

  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after 'exit' once stdout and stderr are drained, so the output is complete.
    child.once('close', (code, signal) => {
      exitedFlag = true;
      running.delete(child);
      notify();
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      recent.push(`[spawn error] ${error.message}`);
      exitedFlag = true;
      running.delete(child);
      notify();
      resolve({ code: null, signal: null });
    });
  });

  const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
  const requester = testRequester(() => url ?? '');
  const output = (lines = 60) => recent.slice(-lines).join('\n');

  const proc: OrdoProcess = {
    mode,
    label,
    pid: child.pid ?? -1,
    url,
    port,
    exited,
    get hasExited() {
      return exitedFlag;
    },
    logs,
    output,
    waitForLog(match, timeoutMs = 30_000) {
      const test = typeof match === 'string' ? (line: LogLine) => line.msg === match : match;
      return new Promise<LogLine>((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < logs.length; seen++) {
            const line = logs[seen]!;
            if (test(line)) return finish(() => resolve(line));
          }
          if (exitedFlag) {
            finish(() =>
              reject(new Error(`${label} (pid ${proc.pid}) exited before logging ${describe(match)}:\n${output()}`)),
            );
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `${label} (pid ${proc.pid}) did not log ${describe(match)} within ${timeoutMs} ms:\n${output()}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    request: (path, init) => {
      if (!url) throw new Error(`${label} serves no HTTP (MODE=${mode})`);
      return requester(path, init);
    },
    kill(signal = 'SIGTERM') {
      if (!exitedFlag) child.kill(signal);
    },
    async stop(graceMs = 15_000) {
      if (!exitedFlag) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
  return proc;
}

async function waitUntilReady(proc: OrdoProcess, timeoutMs: number): Promise<void> {
  if (proc.mode === 'worker') {
    await proc.waitForLog('worker consuming', timeoutMs);
    return;
  }
  if (proc.mode === 'scheduler') {
    await proc.waitForLog(
      (line) => line.msg === 'scheduler became leader' || line.msg === 'scheduler is a follower',
      timeoutMs,
    );
    return;
  }
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (proc.hasExited) {
      const { code, signal } = await proc.exited;
      throw new Error(
        `${proc.label} (pid ${proc.pid}) exited (code ${code}, signal ${signal}) before it was ready:\n${proc.output()}`,
      );
    }
    try {
      const response = await fetch(`${proc.url}/api/health/ready`, { signal: AbortSignal.timeout(3_000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.label} (pid ${proc.pid}) was not ready within ${timeoutMs} ms (${last}):\n${proc.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function describe(match: string | ((line: LogLine) => boolean)): string {
  return typeof match === 'string' ? `"${match}"` : 'the expected line';
}

/** A probe as `GET /api/ops/probes/:id` shows it. */
export interface ProbeView {
  id: string;
  delayMs: number;
  fail: boolean;
  handledCount: number;
  createdAt: string;
  lastHandledAt: string | null;
}

/** `POST /api/ops/probes` through `api`; fails unless it answers 202. Returns the probe's id. */
export async function postProbe(api: OrdoProcess, body: { delayMs?: number; fail?: boolean } = {}): Promise<string> {
  const response = await api.request('/api/ops/probes', { method: 'POST', json: body });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /api/ops/probes answered ${response.status}: ${text}`);
  return (JSON.parse(text) as ProbeView).id;
}

export async function getProbe(api: OrdoProcess, id: string): Promise<ProbeView> {
  const response = await api.request(`/api/ops/probes/${id}`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /api/ops/probes/${id} answered ${response.status}: ${text}`);
  return JSON.parse(text) as ProbeView;
}

/** Waits until the probe has been handled at least once and returns it (check `handledCount === 1` yourself). */
export function waitUntilHandled(api: OrdoProcess, id: string, timeoutMs = 30_000): Promise<ProbeView> {
  return waitFor(
    async () => {
      const probe = await getProbe(api, id);
      return probe.handledCount >= 1 ? probe : undefined;
    },
    { timeoutMs, what: `probe ${id} to be handled` },
  );
}
