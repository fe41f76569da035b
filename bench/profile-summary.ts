// `node dist/bench/profile-summary.js <file.cpuprofile> [orders]`: where a V8 CPU profile's time went, by
// package (node_modules/<name>), by area of Ordo's own code (dist/src/<area>), and Node itself — self time,
// idle excluded; with an order count, per order too. Used with `BENCH_FLOW_PROFILE=<dir> npm run bench -- flow`.
import { readFileSync } from 'node:fs';
import { formatNumber, formatTable } from './support.js';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Who a frame belongs to. */
function ownerOf({ url, functionName }: ProfileNode['callFrame']): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native / V8 builtins';
  if (url.startsWith('node:')) return 'node (core modules)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const own = /\/dist\/(src|bench|test)\/([^/]+)(?:\/([^/]+))?/.exec(url);
  if (own)
    return own[1] === 'src' && (own[2] === 'infra' || own[2] === 'modules')
      ? `ordo ${own[2]}/${own[3]}`
      : `ordo ${own[1]}/${own[2]}`;
  return 'other';
}

export function summarize(profile: Profile): { owner: string; ms: number }[] {
  const owners = new Map(profile.nodes.map((node) => [node.id, ownerOf(node.callFrame)]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const owner = owners.get(id) ?? 'other';
    totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  totals.delete('(idle)');
  return [...totals].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms);
}

const [file, orders] = process.argv.slice(2);
if (file) {
  const rows = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = rows.reduce((sum, row) => sum + row.ms, 0);
  const perOrder = orders ? Number(orders) : undefined;
  console.log(
    formatTable(
      [
        { header: 'where' },
        { header: 'self ms', align: 'right' },
        { header: 'share', align: 'right' },
        ...(perOrder ? [{ header: 'ms / order', align: 'right' as const }] : []),
      ],
      rows
        .filter((row) => row.ms / busy >= 0.005)
        .map((row) => [
          row.owner,
          formatNumber(row.ms),
          `${formatNumber((row.ms / busy) * 100, 1)}%`,
          ...(perOrder ? [formatNumber(row.ms / perOrder, 2)] : []),
        ]),
    ),
  );
  console.log(
    `\nbusy ${formatNumber(busy)} ms (idle excluded)${perOrder ? `, ${formatNumber(busy / perOrder, 1)} ms per order` : ''}`,
  );
}
