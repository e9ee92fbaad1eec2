import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runScript } from '../testing/run-script.ts';
import { type IsolatedStack, isolatedStackEnv } from './stack-env.ts';

const DEMO = fileURLToPath(new URL('../demo.ts', import.meta.url));

describe('npm run demo', () => {
  let stack: IsolatedStack;
  beforeAll(async () => {
    // Calling hours all day, so the outbound call rings whatever the time of the run.
    stack = await isolatedStackEnv({ SMS_MAX_PER_SECOND: '5', OUTBOUND_CALL_HOURS: '00:00-24:00' });
  });
  afterAll(() => stack.cleanUp());

  it('plays the whole scenario on a fresh stack and exits 0', async () => {
    const { code, output } = await runScript(DEMO, [], { ...process.env, ...stack.env });
    if (code !== 0) throw new Error(`demo exited ${code}:\n${output}`);
    expect(output).toContain('Demo complete.');
    for (const table of ['user_profiles (1)', 'onboarding_messages (2)', 'call_history (2)', 'outbound_calls (1)']) {
      expect(output).toContain(table);
    }
  }, 180_000);
});
