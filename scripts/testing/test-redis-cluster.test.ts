import { describe, expect, it } from '@jest/globals';
import { freePort } from '@series-killer/shared/testing';
import { clusterState, ensureTestRedisCluster, TestPrerequisiteError } from './test-redis-cluster.ts';

// Spare ports of their own (the cluster bus uses port + 10000), apart from the 7101-7103 cluster.
const PORTS = '7201 7202 7203';

describe('the Redis Cluster of npm test', () => {
  it('starts the local cluster when none answers, and its teardown stops it again', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_CLUSTER_PORTS: PORTS, TEST_REDIS_CLUSTER_NODES: '' };
    expect(await clusterState('127.0.0.1', 7201)).toBe('down');
    const cluster = await ensureTestRedisCluster(env);
    try {
      expect(env.TEST_REDIS_CLUSTER_NODES).toBe('127.0.0.1:7201,127.0.0.1:7202,127.0.0.1:7203');
      expect(await clusterState('127.0.0.1', 7201)).toBe('ok');
    } finally {
      cluster.stop();
    }
    expect(await clusterState('127.0.0.1', 7201)).toBe('down');
  }, 60_000);

  it('fails at once, naming what to install, without redis-server', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_CLUSTER_PORTS: PORTS, TEST_REDIS_CLUSTER_NODES: '' };
    env.PATH = '/nonexistent';
    const started = Date.now();
    const failure = ensureTestRedisCluster(env);
    await expect(failure).rejects.toThrow(TestPrerequisiteError);
    await expect(failure).rejects.toThrow('apt-get install redis-server');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses given cluster nodes that do not answer', async () => {
    const env: NodeJS.ProcessEnv = { TEST_REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()}` };
    await expect(ensureTestRedisCluster(env)).rejects.toThrow('does not answer as a healthy Redis Cluster');
  });

  it('uses a cluster that already answers and leaves it running', async () => {
    const nodes = process.env.TEST_REDIS_CLUSTER_NODES as string;
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_REDIS_CLUSTER_NODES: nodes };
    const cluster = await ensureTestRedisCluster(env);
    cluster.stop();
    const port = Number(nodes.split(',')[0]?.split(':')[1]);
    expect(await clusterState('127.0.0.1', port)).toBe('ok');
  });
});
