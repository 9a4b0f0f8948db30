/**
 * Benchmark dispatcher: `npm run bench -- <name> [args...]` runs the `run`
 * export of bench/<name>.ts with the remaining arguments; without a name it
 * runs bench/compare.ts (kb against its peers and the machine) and then
 * bench/latency.ts (latency at fixed throughput). An unknown
 * name lists the benchmarks there are. Benchmarks print their own tables;
 * they are measurements, not tests.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = (await readdir(here)).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3));
/** What `npm run bench` runs without a name, in order, each with its defaults. */
const defaults = ['compare', 'latency'];
const [name, ...args] = process.argv.slice(2);

if (name !== undefined && !available.includes(name)) {
  process.stderr.write(`unknown benchmark "${name}". usage: npm run bench [-- <${available.join('|')}> [args]]\n`);
  process.exit(2);
}
for (const each of name === undefined ? defaults : [name]) {
  const bench = (await import(path.join(here, `${each}.ts`))) as { run(args: string[]): Promise<void> };
  await bench.run(args);
}
