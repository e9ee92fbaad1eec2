import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@series-killer/shared/testing';
import { busyPorts } from './busy-ports.ts';

describe('busy ports', () => {
  let holder: Server;
  let heldPort: number;
  beforeAll(async () => {
    heldPort = await freePort();
    holder = createServer().listen(heldPort, '127.0.0.1');
    await once(holder, 'listening');
  });
  afterAll(() => {
    holder.close();
  });

  it('names each port already held, what it was for and the process holding it; a free one passes', async () => {
    const free = await freePort();
    const lines = await busyPorts([
      { port: heldPort, what: 'the ingress (PORT)' },
      { port: free, what: 'the sandbox (SANDBOX_PORT)' },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Port ${heldPort}, for the ingress (PORT), is already in use`);
    expect(lines[0]).toContain(`pid ${process.pid}`);
  });
});
