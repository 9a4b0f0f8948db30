/**
 * Benchmark dispatcher: `npm run bench -- <name> [args...]` runs the `run`
 * export of bench/<name>.ts with the remaining arguments. Without a name (or
 * with an unknown one) it lists the benchmarks there are. Benchmarks print
 * their own tables; they are measurements, not tests.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = (await readdir(here)).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);

if (!name || !available.includes(name)) {
  process.stderr.write(`${name ? `unknown benchmark "${name}". ` : ''}usage: npm run bench -- <${available.join('|')}> [args]\n`);
  process.exit(name ? 2 : 0);
}
const bench = (await import(path.join(here, `${name}.ts`))) as { run(args: string[]): Promise<void> };
await bench.run(args);
