import { isIPv6 } from 'node:net';

/** Limits of failed logins, per client. */
export interface FailedLoginLimits {
  /** Failed logins a client may make in one window. */
  maxFailures: number;
  /** Length of the window, in milliseconds, from the client's first failure in it. */
  windowMs: number;
  /** Clients remembered at once: past it the oldest window is forgotten first, so memory stays bounded. */
  maxClients: number;
}

export interface FailedLogins {
  /** Milliseconds until the client may try again; 0 when it may try now. */
  retryAfterMs(client: string): number;
  recordFailure(client: string): void;
  recordSuccess(client: string): void;
}

/**
 * Failed logins counted per client in memory, over a fixed window that starts with the client's
 * first failure. An IPv6 client counts by its /64, the block one subscriber is given, so cycling
 * through its addresses gains nothing.
 */
export function trackFailedLogins(limits: FailedLoginLimits, now: () => number = Date.now): FailedLogins {
  const windows = new Map<string, { failures: number; endsAt: number }>();

  function forgetExpired(): void {
    const time = now();
    for (const [client, window] of windows) if (window.endsAt <= time) windows.delete(client);
  }

  return {
    retryAfterMs(client) {
      const window = windows.get(clientKey(client));
      if (!window || window.failures < limits.maxFailures) return 0;
      return Math.max(0, window.endsAt - now());
    },
    recordFailure(client) {
      const key = clientKey(client);
      const window = windows.get(key);
      if (window && window.endsAt > now()) {
        window.failures += 1;
        return;
      }
      windows.delete(key);
      if (windows.size >= limits.maxClients) forgetExpired();
      // Still full: the oldest window goes (a Map iterates in insertion order).
      if (windows.size >= limits.maxClients) windows.delete(windows.keys().next().value as string);
      windows.set(key, { failures: 1, endsAt: now() + limits.windowMs });
    },
    recordSuccess(client) {
      windows.delete(clientKey(client));
    },
  };
}

/** The address itself, or for IPv6 its /64 prefix. */
function clientKey(address: string): string {
  if (!isIPv6(address) || address.includes('.')) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).join(':')}::/64`;
}
