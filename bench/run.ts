// npm run bench [-- name …] — runs the benchmarks and fault drills on loopback, writes
// bench/results/<name>.json and bench/results/latency.svg, and prints a table of the goals.
import { glob, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { latencyChartSvg } from './lib/chart.ts';
import { repoPath } from './lib/processes.ts';
import { type BenchResult, writeResult } from './lib/results.ts';

type Benchmarks = Record<string, () => Promise<BenchResult>>;

/** Every `.bench.ts` file under bench/ exports `benchmarks`: name → run. */
async function discoverBenchmarks(): Promise<Benchmarks> {
  const files: string[] = [];
  for await (const file of glob('**/*.bench.ts', { cwd: repoPath('bench') })) files.push(file);
  const found: Benchmarks = {};
  for (const file of files.sort()) {
    const module = (await import(pathToFileURL(repoPath(`bench/${file}`)).href)) as { benchmarks: Benchmarks };
    Object.assign(found, module.benchmarks);
  }
  return found;
}

const BENCHMARKS = await discoverBenchmarks();

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}

const results: BenchResult[] = [];
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`running ${name}…\n`);
  const result = await run();
  results.push(result);
  process.stdout.write(`  wrote ${await writeResult(result)}\n`);
}

console.log('\n| benchmark | goal | value | met |\n| --- | --- | --- | --- |');
for (const result of results) {
  for (const goal of result.goals)
    console.log(`| ${result.name} | ${goal.goal} | ${goal.value} | ${goal.met ? 'yes' : 'NO'} |`);
}

const latencies = results.flatMap((result) => {
  const latency = result.figures.latency as { label: string; p50: number; p99: number }[] | undefined;
  return latency ?? [];
});
if (latencies.length > 0) {
  await writeFile(repoPath('bench/results/latency.svg'), latencyChartSvg(latencies, 'Latency (ms, median of runs)'));
  console.log('\nchart: bench/results/latency.svg');
}
