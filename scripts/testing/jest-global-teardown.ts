// Jest global teardown: stops what the global set-up started.
import type { GlobalTestServices } from './jest-global-setup.ts';

export default function globalTeardown(): void {
  (globalThis as GlobalTestServices).testRedisCluster?.stop();
}
