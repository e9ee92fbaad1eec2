import { describe, expect, it } from '@jest/globals';
import { shareProbe } from './shared-probe.ts';

describe('shareProbe', () => {
  it('runs one probe for concurrent callers and reuses its result for maxAgeMs, then probes again', async () => {
    let clock = 0;
    let runs = 0;
    const probe = shareProbe(
      async () => {
        runs += 1;
        return runs;
      },
      1_000,
      () => clock,
    );

    expect(await Promise.all([probe(), probe(), probe()])).toEqual([1, 1, 1]);
    clock = 1_000;
    expect(await probe()).toBe(1);
    clock = 1_001;
    expect(await Promise.all([probe(), probe()])).toEqual([2, 2]);
    expect(runs).toBe(2);
  });

  it('does not keep a failed probe: the next caller probes again', async () => {
    let runs = 0;
    const probe = shareProbe(async () => {
      runs += 1;
      if (runs === 1) throw new Error('unreachable');
      return 'ok';
    }, 1_000);

    await expect(probe()).rejects.toThrow('unreachable');
    expect(await probe()).toBe('ok');
  });
});
