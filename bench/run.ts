// npm run bench [-- name …] — runs the benchmarks and fault drills on loopback, writes
// bench/results/<name>.json and bench/results/latency.svg, and prints a table of the goals.
import { writeFile } from 'node:fs/promises';
import { ingressThroughput } from './ingress-throughput.bench.ts';
import { latencyChartSvg } from './lib/chart.ts';
import { repoPath } from './lib/processes.ts';
import { type BenchResult, writeResult } from './lib/results.ts';

const BENCHMARKS: Record<string, () => Promise<BenchResult>> = {
  'ingress-throughput': ingressThroughput,
};

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
