// `npm start` builds only when the sources are newer than the bundle: a second start is instant.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((e) => newest(join(path, e))));
}

const bundle = 'dist/logpipe.mjs';
const sources = Math.max(...['src', 'package.json', 'package-lock.json', 'tsconfig.json'].map(newest));
if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) execSync('npm run --silent build', { stdio: 'inherit' });
