import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const COLOURS = [36, 35, 33, 32, 34, 91, 96, 95];
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const HIDDEN_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/** `[name]` in a stable colour per process, when the terminal shows colours. */
export function prefixFor(name: string, index: number, width: number): string {
  const label = `[${name}]`.padEnd(width + 2);
  if (!process.stdout.isTTY || process.env.NO_COLOR) return label;
  return `\x1b[${COLOURS[index % COLOURS.length]}m${label}\x1b[0m`;
}

/** A pino JSON line as `12:00:01 info  message key=value …`; other lines unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const time = new Date(Number(record.time ?? Date.now())).toISOString().slice(11, 19);
    const level = (LEVELS[Number(record.level)] ?? 'info').padEnd(5);
    const fields = Object.entries(record)
      .filter(([key]) => !HIDDEN_KEYS.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    return `${time} ${level} ${String(record.msg ?? '')}${fields ? ` ${fields}` : ''}`;
  } catch {
    return line;
  }
}

/** Copies a child's output to ours, line by line, behind its prefix. */
export function pipeWithPrefix(stream: Readable, prefix: string, out: NodeJS.WriteStream): void {
  createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} ${formatLogLine(line)}\n`));
}
