import {
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  freePort,
  type TestDatabase,
} from '@series-killer/shared/testing';

/** A whole stack of one's own for a test: its database, queue prefix and ports. */
export interface IsolatedStack {
  env: Record<string, string>;
  publicBaseUrl: string;
  cleanUp(): Promise<void>;
}

export async function isolatedStackEnv(extra: Record<string, string> = {}): Promise<IsolatedStack> {
  const testDb: TestDatabase = await createTestDatabase();
  await testDb.db.destroy();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const sandboxPort = await freePort();
  const voicePort = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  return {
    env: {
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      PUBLIC_BASE_URL: publicBaseUrl,
      SANDBOX_PORT: String(sandboxPort),
      VOICE_PORT: String(voicePort),
      LOG_LEVEL: 'warn',
      NO_COLOR: '1',
      ...extra,
    },
    publicBaseUrl,
    async cleanUp() {
      await deleteQueuePrefix(prefix);
      await testDb.drop();
    },
  };
}
