import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

/** A port the stack is about to listen on, and what for (as a person reads it). */
export interface StackPort {
  port: number;
  /** E.g. "the ingress (PORT)". */
  what: string;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    // Every interface, as the services listen: a port held on loopback alone is taken too.
    probe.listen({ port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** A process's command line, at most 120 characters; empty when it cannot be read. */
async function commandLineOf(pid: string): Promise<string> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return text.split('\0').filter(Boolean).join(' ').slice(0, 120);
}

/** The parent of a process, from /proc; undefined when it cannot be read. */
async function parentOf(pid: string): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command (which may hold spaces, in parentheses): state, then the parent's pid.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
}

/**
 * Who listens on `port`, when `ss` can tell: "pid 123 (node scripts/start.ts)", or the stack a
 * service belongs to, since a service killed alone is only restarted by its supervisor.
 */
async function holderOf(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('ss', ['-Hltnp', `sport = :${port}`], { timeout: 2_000 });
    const pid = /users:\(\("[^"]*",pid=(\d+)/.exec(stdout)?.[1];
    if (!pid) return undefined;
    const parent = await parentOf(pid);
    const parentCommand = parent ? await commandLineOf(parent) : '';
    if (/scripts\/(start|demo)\.ts/.test(parentCommand))
      return `a stack started by npm (its supervisor is pid ${parent}: ${parentCommand})`;
    const command = await commandLineOf(pid);
    return `pid ${pid}${command ? ` (${command})` : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * One line for each port that something else already listens on, naming the holder where it can
 * be found: checked before anything starts, so a second `npm start` stops at once instead of
 * restarting services that cannot listen.
 */
export async function busyPorts(ports: StackPort[]): Promise<string[]> {
  const lines: string[] = [];
  for (const { port, what } of ports) {
    if (await isFree(port)) continue;
    const holder = await holderOf(port);
    lines.push(`Port ${port}, for ${what}, is already in use${holder ? ` by ${holder}` : ''}.`);
  }
  return lines;
}

/** What to do about a busy port, printed after the lines. */
export const PORTS_HINT =
  'Stop what holds it (a stack started with `npm start` stops on Ctrl-C, or `kill -TERM` of its supervisor or npm), or run this one on other ports: PORT=3001 SANDBOX_PORT=3101 VOICE_PORT=3201 npm start';
