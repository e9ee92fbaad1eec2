import { describe, expect, it } from '@jest/globals';
import { trackFailedLogins } from './failed-logins.ts';

const LIMITS = { maxFailures: 3, windowMs: 60_000, maxClients: 2 };

describe('trackFailedLogins', () => {
  it('holds a client back after the maximum of failures until its window ends', () => {
    let clock = 0;
    const logins = trackFailedLogins(LIMITS, () => clock);
    for (let failure = 0; failure < 3; failure += 1) {
      expect(logins.retryAfterMs('192.0.2.1')).toBe(0);
      logins.recordFailure('192.0.2.1');
      clock += 1_000;
    }
    expect(logins.retryAfterMs('192.0.2.1')).toBe(57_000);
    expect(logins.retryAfterMs('192.0.2.2')).toBe(0);

    clock = 60_000;
    expect(logins.retryAfterMs('192.0.2.1')).toBe(0);
    logins.recordFailure('192.0.2.1');
    expect(logins.retryAfterMs('192.0.2.1')).toBe(0);
  });

  it('forgets a client that logs in', () => {
    const logins = trackFailedLogins({ ...LIMITS, maxFailures: 1 });
    logins.recordFailure('192.0.2.1');
    expect(logins.retryAfterMs('192.0.2.1')).toBeGreaterThan(0);
    logins.recordSuccess('192.0.2.1');
    expect(logins.retryAfterMs('192.0.2.1')).toBe(0);
  });

  it('counts an IPv6 client by its /64', () => {
    const logins = trackFailedLogins({ ...LIMITS, maxFailures: 2 });
    logins.recordFailure('2001:db8:1:2::1');
    logins.recordFailure('2001:db8:1:2:ffff::9');
    expect(logins.retryAfterMs('2001:db8:1:2:0:0:0:7')).toBeGreaterThan(0);
    expect(logins.retryAfterMs('2001:db8:1:3::1')).toBe(0);
  });

  it('remembers at most maxClients, dropping expired windows first, then the oldest', () => {
    let clock = 0;
    const logins = trackFailedLogins({ ...LIMITS, maxFailures: 1 }, () => clock);
    logins.recordFailure('192.0.2.1');
    clock = 30_000;
    logins.recordFailure('192.0.2.2');

    // Full; 192.0.2.1's window has ended and makes room, 192.0.2.2 is kept.
    clock = 65_000;
    logins.recordFailure('192.0.2.3');
    expect(logins.retryAfterMs('192.0.2.2')).toBe(25_000);
    expect(logins.retryAfterMs('192.0.2.3')).toBe(60_000);

    // Full of live windows: the oldest, 192.0.2.2's, is forgotten.
    logins.recordFailure('192.0.2.4');
    expect(logins.retryAfterMs('192.0.2.2')).toBe(0);
    expect(logins.retryAfterMs('192.0.2.3')).toBe(60_000);
    expect(logins.retryAfterMs('192.0.2.4')).toBe(60_000);
  });
});
