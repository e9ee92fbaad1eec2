// Jest global teardown: stops what the global set-up started.
import { stopTestRedisCluster } from './test-redis-cluster.ts';

export default function globalTeardown(): void {
  stopTestRedisCluster();
}
