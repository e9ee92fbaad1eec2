// npm run bench [-- name …] — runs the benchmarks and fault drills on loopback, writes
// bench/results/<name>.json and bench/results/latency.svg, and prints a table of the goals.
import { glob, readFile, writeFile } from 'node:fs/promises';
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
const failed: string[] = [];
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`running ${name}…\n`);
  const startedAt = Date.now();
  try {
    const result = await run();
    results.push(result);
    process.stdout.write(`  wrote ${await writeResult(result)} (${Math.round((Date.now() - startedAt) / 1_000)} s)\n`);
  } catch (error) {
    // One broken benchmark must not hide the figures of the others; the exit code reports it.
    failed.push(name);
    console.error(`  ${name} failed:`, error);
  }
}

console.log('\n| benchmark | goal | value | met |\n| --- | --- | --- | --- |');
for (const result of results) {
  for (const goal of result.goals)
    console.log(`| ${result.name} | ${goal.goal} | ${goal.value} | ${goal.met ? 'yes' : 'NO'} |`);
}

// The chart shows the latest result of every benchmark, so running one benchmark alone keeps the others' bars.
const latencies: { label: string; p50: number; p99: number }[] = [];
for await (const file of glob('*.json', { cwd: repoPath('bench/results') })) {
  const saved = JSON.parse(await readFile(repoPath(`bench/results/${file}`), 'utf8')) as BenchResult;
  const latency = saved.figures.latency as { label: string; p50: number; p99: number }[] | undefined;
  latencies.push(...(latency ?? []));
}
if (latencies.length > 0) {
  await writeFile(
    repoPath('bench/results/latency.svg'),
    latencyChartSvg(latencies, 'Latency (ms, median of runs; logarithmic)', { logScale: true }),
  );
  console.log('\nchart: bench/results/latency.svg');
}

if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
