import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const SLOW_START = fileURLToPath(new URL('./testing/slow-start-service.ts', import.meta.url));

describe('runService under a supervisor', () => {
  it('stops when its supervisor went away while it was still starting', async () => {
    const child = spawn(process.execPath, [SLOW_START], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // Gone before the service has started, and so before its 'disconnect' listener exists.
      child.disconnect();
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 15_000);
});
