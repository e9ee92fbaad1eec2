import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, hostname, totalmem } from 'node:os';
import { repoPath } from './processes.ts';

export interface BenchResult {
  name: string;
  /** Goals checked by this run: `met` is false where a figure missed its goal. */
  goals: { goal: string; value: number | string; met: boolean }[];
  figures: Record<string, unknown>;
}

export function machine() {
  return {
    host: hostname(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

export async function writeResult(result: BenchResult): Promise<string> {
  const dir = repoPath('bench/results');
  await mkdir(dir, { recursive: true });
  const file = `${dir}/${result.name}.json`;
  await writeFile(
    file,
    `${JSON.stringify({ ...result, machine: machine(), at: new Date().toISOString() }, null, 2)}\n`,
  );
  return file;
}
