import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One process per DATA_DIR. PGlite keeps the embedded database in files that only one process may
 * open: a second opener (another Ordo, `npm run seed`) writes over the first one's pages and the
 * database is damaged for good. Like PostgreSQL's postmaster.pid, a lock file in DATA_DIR names its
 * holder; it is created atomically (a hard link to a fully written file, which fails if one exists),
 * removed at close or exit, and taken over when its holder is gone (killed, crashed, the machine
 * rebooted). A holder on another host cannot be checked from here, so it is never taken over.
 */
export const LOCK_FILE = 'ordo.lock';

/** Who holds a DATA_DIR: what the lock file says. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holding process started (ISO). */
  startedAt: string;
  /** Its command line, to recognise it in `ps`. */
  command: string;
  /** The kernel's boot id (Linux): a lock from before a reboot is stale whatever process has its pid now. */
  bootId?: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
    super(
      `DATA_DIR ${dataDir} is in use by process ${holder.pid}${where} (${holder.command}, started ${holder.startedAt}): ` +
        'the embedded database takes one process at a time. Stop that process first' +
        (where ? `, or delete ${join(dataDir, LOCK_FILE)} if it no longer runs.` : '.'),
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly dataDir: string;
  release(): void;
}

/** Lock files this process holds, by absolute path: opening the same DATA_DIR twice in one process is refused too. */
const heldHere = new Set<string>();

/** Takes DATA_DIR for this process, or throws DataDirInUseError naming the live holder. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, LOCK_FILE);
  const me = thisProcess();
  if (heldHere.has(path)) throw new DataDirInUseError(dataDir, me);
  for (let attempt = 1; attempt <= 50; attempt++) {
    if (createExclusively(path, me)) return holding(dataDir, path, me);
    const holder = readHolder(path);
    if (holder === 'gone') continue;
    if (isLive(holder)) throw new DataDirInUseError(dataDir, holder);
    // Its holder is gone: take it over, unless another process is doing just that (then look again).
    if (!takeOver(path, holder)) await sleep(20);
  }
  throw new Error(`Could not lock DATA_DIR ${dataDir}: ${path} kept changing. Is something else rewriting it?`);
}

/** The live process holding DATA_DIR, if any, without taking it (for a friendlier message up front). */
export function dataDirHolder(dataDir: string): LockHolder | undefined {
  const path = resolve(dataDir, LOCK_FILE);
  const holder = readHolder(path);
  if (holder === 'gone') return undefined;
  return heldHere.has(path) || isLive(holder) ? holder : undefined;
}

function holding(dataDir: string, path: string, me: LockHolder): DataDirLock {
  heldHere.add(path);
  // A process that exits without closing its database (process.exit, an uncaught error) still lets go.
  const onExit = () => release();
  process.once('exit', onExit);
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    process.removeListener('exit', onExit);
    heldHere.delete(path);
    const current = readHolder(path);
    if (current !== 'gone' && sameHolder(current, me)) unlinkQuietly(path);
  }
  return { dataDir, release };
}

function thisProcess(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: process.argv
      .slice(1)
      .map((arg) => arg.replace(/^.*[\\/]/, ''))
      .join(' ')
      .slice(0, 120),
    ...(bootId() ? { bootId: bootId() } : {}),
  };
}

/**
 * Creates `path` with `holder` in it, atomically and complete: written to a private file first, then
 * hard-linked into place (link fails if `path` exists), so no reader ever sees a half-written lock.
 */
function createExclusively(path: string, holder: LockHolder): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(draft);
  }
}

/** The holder the lock file names; 'gone' when there is no lock file (any more). */
function readHolder(path: string): LockHolder | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (Number.isInteger(holder.pid) && typeof holder.host === 'string') return holder;
  } catch {
    // unreadable: reported below
  }
  throw new Error(
    `DATA_DIR lock ${path} is unreadable. If no Ordo process uses this DATA_DIR, delete the file and start again.`,
  );
}

/**
 * Whether the holder may still run. On another host we cannot tell, so yes. Here: not after a reboot,
 * not if it is this very pid (a restarted container's process 1 finding its previous life's lock: this
 * process holds nothing it does not know of), and otherwise if a process with that pid exists.
 */
function isLive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.bootId && bootId() && holder.bootId !== bootId()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a lock whose holder is gone. Two processes may find the same stale lock at once; a claim file
 * (created exclusively) lets one of them remove it, and only if the lock still names that holder, so a
 * lock someone has just taken is never removed. Returns false when another process holds the claim.
 */
function takeOver(path: string, stale: LockHolder): boolean {
  const claim = `${path}.takeover`;
  if (!createExclusively(claim, thisProcess())) {
    const claimer = readHolder(claim);
    // A claimer that died mid-takeover would block every start: its claim goes too.
    if (claimer !== 'gone' && !isLive(claimer)) unlinkQuietly(claim);
    return false;
  }
  try {
    const current = readHolder(path);
    if (current !== 'gone' && sameHolder(current, stale)) unlinkQuietly(path);
    return true;
  } finally {
    unlinkQuietly(claim);
  }
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

let cachedBootId: string | null | undefined;
function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}
