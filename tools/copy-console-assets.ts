// The console's templates and static files are not TypeScript: a build copies them beside the compiled
// console (`npm run build` runs this after tsc; tests that compile the bridge elsewhere call it too).
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSOLE_DIRS = ['views', 'static'] as const;

/** Copies src/console/{views,static} of the repository at `root` to `<outDir>/src/console/`. */
export function copyConsoleAssets(root: string, outDir: string): void {
  for (const dir of CONSOLE_DIRS) {
    cpSync(path.join(root, 'src/console', dir), path.join(outDir, 'src/console', dir), { recursive: true });
  }
}

// `node dist/tools/copy-console-assets.js` (postbuild): from the repository into dist/.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  copyConsoleAssets(root, path.join(root, 'dist'));
}
