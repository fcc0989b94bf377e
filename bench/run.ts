// `npm run bench -- NAME [NAME...]`: runs bench/NAME.ts (which exports `run()`), writes
// bench/results/NAME.json and prints it. With no name, lists the benchmarks.
import { readdirSync } from 'node:fs';
import { writeResult, type BenchResult } from './result.js';

const here = new URL('./', import.meta.url);
const available = readdirSync(here)
  .filter(
    (file) =>
      file.endsWith('.ts') && !['run.ts', 'result.ts'].includes(file) && !file.endsWith('.test.ts'),
  )
  .map((file) => file.slice(0, -3))
  .sort();

const names = process.argv.slice(2).filter((arg) => arg !== '--');
if (names.length === 0) {
  console.log(`benchmarks: ${available.join(', ')}\nusage: npm run bench -- NAME`);
  process.exit(0);
}
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
for (const name of names) {
  const module = (await import(new URL(`./${name}.ts`, here).href)) as {
    run: () => Promise<BenchResult>;
  };
  const result = await module.run();
  const file = writeResult(result);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${file.slice(file.indexOf('bench/'))}`);
}
