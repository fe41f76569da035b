import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** Absolute path inside the project (the folder holding package.json), from source or from dist/. */
export function projectPath(...segments: string[]): string {
  if (!root) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json'))) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error('package.json not found above ' + import.meta.url);
      dir = parent;
    }
    root = dir;
  }
  return join(root, ...segments);
}
