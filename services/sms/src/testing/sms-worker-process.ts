import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SmsHarness } from './sms-harness.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The SMS service as it runs in production: `node services/sms/src/main.ts`, configured by the harness's environment. */
export function startSmsWorkerProcess(h: SmsHarness): ChildProcess {
  return spawn(`${REPO_ROOT}scripts/node`, ['services/sms/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...h.env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Sends `signal` and resolves with the exit code once the process has exited (at once if it already has). */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

/** The SMS worker processes of one test file: `start` runs one more, `stopAll` kills them all (frozen ones too). */
export function smsWorkerProcesses(harness: () => SmsHarness) {
  const children: ChildProcess[] = [];
  return {
    start(): ChildProcess {
      const child = startSmsWorkerProcess(harness());
      children.push(child);
      return child;
    },
    async stopAll(): Promise<void> {
      for (const child of children) {
        child.kill('SIGCONT');
        await stopProcess(child, 'SIGKILL');
      }
    },
  };
}
