/**
 * Failpoints: named places in the code where a test can make this process crash (`kill`: SIGKILL
 * itself) or fail (`throw`) at an exact moment — between two writes of one transaction, say — to prove
 * that a crash there loses nothing and applies nothing twice. Configured by ORDO_FAILPOINTS
 * (`name=action,…`), which the environment schema refuses in production. Off, a failpoint is one map
 * lookup.
 */
export type FailpointAction = 'kill' | 'throw';

const active = new Map<string, FailpointAction>();

export function configureFailpoints(spec: string | undefined): void {
  active.clear();
  for (const entry of (spec ?? '').split(',')) {
    const [name, action] = entry.split('=').map((part) => part.trim());
    if (!name) continue;
    if (action !== 'kill' && action !== 'throw') throw new Error(`Failpoint ${name}: action must be kill or throw`);
    active.set(name, action);
  }
}

export function failpoint(name: string): void {
  const action = active.get(name);
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (action === 'throw') throw new Error(`failpoint ${name}`);
}
