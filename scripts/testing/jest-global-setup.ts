// Jest global set-up: starts what the tests need that the project can start itself, and stops
// the run at once, with one line naming what to install, where something is missing.
import { ensureTestRedisCluster, TestPrerequisiteError, type TestRedisCluster } from './test-redis-cluster.ts';

/** Jest's documented channel from the global set-up to the global teardown. */
export type GlobalTestServices = typeof globalThis & { testRedisCluster?: TestRedisCluster };

export default async function globalSetup(): Promise<void> {
  try {
    (globalThis as GlobalTestServices).testRedisCluster = await ensureTestRedisCluster();
  } catch (error) {
    if (!(error instanceof TestPrerequisiteError)) throw error;
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
}
