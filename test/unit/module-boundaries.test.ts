import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { projectPath } from '../../src/common/project-path.js';

// The import structure of src/, read from the sources: what the lint wall (eslint.config.mjs) cannot
// see — cycles — and which layer may use which.

const SRC = projectPath('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import and re-export of every file (type-only ones too: they are design dependencies). */
function importGraph(): Map<string, string[]> {
  const files = new Set(sourceFiles(SRC));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+'(\.[^']+)'/gm)]
      .map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')))
      .filter((target) => files.has(target));
    graph.set(
      relative(SRC, file),
      [...new Set(targets)].map((target) => relative(SRC, target)),
    );
  }
  return graph;
}

/** Strongly connected groups of more than one node (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1) found.push(group.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** `modules/<name>` for feature code, the top directory (common, infra, …) for the rest. */
const areaOf = (file: string) => {
  const [top, second] = file.split('/');
  return top === 'modules' ? `modules/${second}` : top!;
};

describe('module boundaries', () => {
  const graph = importGraph();

  it('has no import cycle between files', () => {
    assert.deepEqual(cycles(graph), []);
  });

  it('has no cycle between modules except through event definitions (*.events.ts)', () => {
    const modules = new Map<string, string[]>();
    for (const [file, targets] of graph) {
      const from = areaOf(file);
      for (const target of targets) {
        const to = areaOf(target);
        // An event definition is a contract both sides may name; it is no dependency on the other's code.
        if (to === from || target.endsWith('.events.ts')) continue;
        modules.set(from, [...new Set([...(modules.get(from) ?? []), to])]);
      }
    }
    assert.deepEqual(cycles(modules), []);
  });

  it('keeps the layers in order: common uses nothing of infra, runtime or the modules; infra uses no module', () => {
    const crossings = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => {
          const [from, to] = [areaOf(file), areaOf(target)];
          if (from === 'common') return to !== 'common';
          if (from === 'infra') return to.startsWith('modules/') || to === 'runtime';
          return false;
        })
        .map((target) => `${file} → ${target}`),
    );
    assert.deepEqual(crossings, []);
  });
});
