import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, describe, it } from 'node:test';
import { projectPath } from '../../src/common/project-path.js';
import { DataDirInUseError, LOCK_FILE, lockDataDir, type LockHolder } from '../../src/infra/database/data-dir-lock.js';

const LOCK_MODULE = pathToFileURL(projectPath('dist', 'src', 'infra', 'database', 'data-dir-lock.js')).href;

/** What a child reports: it holds the lock, or why it was refused. */
type Outcome = { locked: true } | { refused: string };

interface Holder {
  child: ChildProcess;
  pid: number;
  outcome: Promise<Outcome>;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

/**
 * Another process that takes the lock on `dir` and keeps it until killed (or, with `exitAtOnce`,
 * exits right away without releasing it: the exit hook must). Its stdout's first line is its outcome.
 */
function lockInAnotherProcess(dir: string, { exitAtOnce = false } = {}): Holder {
  const script = `
    const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
    try {
      await lockDataDir(${JSON.stringify(dir)});
      console.log(JSON.stringify({ locked: true }));
    } catch (error) {
      console.log(JSON.stringify({ refused: error.message }));
      process.exit(2);
    }
    if (${exitAtOnce}) process.exit(0);
    setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const outcome = new Promise<Outcome>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as Outcome);
    });
    child.once('close', (code) => reject(new Error(`exited ${code} without an outcome: ${stdout}${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, pid: child.pid!, outcome, exited };
}

async function killed(holder: Holder): Promise<void> {
  holder.child.kill('SIGKILL');
  await holder.exited;
}

function lockFileOf(dir: string): LockHolder {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
}

async function refusal(dir: string): Promise<DataDirInUseError> {
  const error = await lockDataDir(dir).then(
    (lock) => {
      lock.release();
      assert.fail(`${dir} was locked although it is in use`);
    },
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof DataDirInUseError, `expected DataDirInUseError, got ${String(error)}`);
  return error;
}

describe('DATA_DIR lock: one process per data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'ordo-lock-'));
  let n = 0;
  const freshDir = () => join(root, `data-${++n}`);

  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('names the live process holding it, and refuses', async () => {
    const dir = freshDir();
    const holder = lockInAnotherProcess(dir);
    assert.deepEqual(await holder.outcome, { locked: true });

    const error = await refusal(dir);
    assert.equal(error.holder.pid, holder.pid);
    assert.match(error.message, new RegExp(`^DATA_DIR ${dir} is in use by process ${holder.pid} \\(`));
    assert.match(error.message, /Stop that process first/);
    assert.equal(lockFileOf(dir).pid, holder.pid, 'the refused attempt left the lock alone');
  });

  it('takes over a lock whose process is gone (killed -9), and releases it on close', async () => {
    const dir = freshDir();
    const holder = lockInAnotherProcess(dir);
    await holder.outcome;
    await killed(holder);
    assert.equal(lockFileOf(dir).pid, holder.pid, 'a killed process leaves its lock behind');

    const lock = await lockDataDir(dir);
    assert.equal(lockFileOf(dir).pid, process.pid);
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    // Released: free for anyone again.
    const again = lockInAnotherProcess(dir);
    assert.deepEqual(await again.outcome, { locked: true });
  });

  it('is released when its process exits without closing', async () => {
    const dir = freshDir();
    const holder = lockInAnotherProcess(dir, { exitAtOnce: true });
    assert.deepEqual(await holder.outcome, { locked: true });
    assert.equal(await holder.exited, 0);
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it('refuses a second lock in the same process', async () => {
    const dir = freshDir();
    const lock = await lockDataDir(dir);
    try {
      const error = await refusal(dir);
      assert.equal(error.holder.pid, process.pid);
    } finally {
      lock.release();
    }
  });

  it('of several processes finding the same stale lock, exactly one takes it over', async () => {
    const dir = freshDir();
    const first = lockInAnotherProcess(dir);
    await first.outcome;
    await killed(first);

    const racers = Array.from({ length: 5 }, () => lockInAnotherProcess(dir));
    const outcomes = await Promise.all(racers.map((racer) => racer.outcome));
    const winners = racers.filter((_, i) => 'locked' in outcomes[i]!);
    assert.equal(winners.length, 1, JSON.stringify(outcomes));
    const winner = winners[0]!;
    assert.equal(lockFileOf(dir).pid, winner.pid);
    for (const outcome of outcomes) {
      if ('refused' in outcome) assert.match(outcome.refused, new RegExp(`in use by process ${winner.pid} `));
    }
  });

  it('takes over a lock written before the machine restarted, whatever process has that pid now', async () => {
    const dir = freshDir();
    const holder = lockInAnotherProcess(dir);
    await holder.outcome;
    const written = lockFileOf(dir);
    await killed(holder);
    // The same lock, as if written before a reboot, naming a pid that is alive now (this test's own parent).
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...written, pid: process.ppid, bootId: 'an-earlier-boot' }));

    const lock = await lockDataDir(dir);
    assert.equal(lockFileOf(dir).pid, process.pid);
    lock.release();
  });

  it('never takes over a lock held on another host, and says how to clear it', async () => {
    const dir = freshDir();
    const holder = lockInAnotherProcess(dir);
    await holder.outcome;
    const written = lockFileOf(dir);
    await killed(holder);
    // A DATA_DIR on a shared volume, locked by a process elsewhere: its pid means nothing here.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...written, host: `not-${hostname()}` }));

    const error = await refusal(dir);
    assert.match(error.message, new RegExp(`process ${written.pid} on host not-${hostname()}`));
    assert.match(error.message, new RegExp(`delete ${join(dir, LOCK_FILE)}`));
  });
});
