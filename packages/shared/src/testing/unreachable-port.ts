import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.ts';

/** A port of 127.0.0.1 that refuses connections until opened, then forwards them to a server: a dependency down, then back. */
export interface UnreachablePort {
  port: number;
  /** Starts forwarding every connection to the target. */
  open(): Promise<void>;
  /** Cuts every forwarded connection and refuses new ones again. */
  close(): Promise<void>;
}

export async function unreachablePort(target: { host: string; port: number }): Promise<UnreachablePort> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  return {
    port,
    open() {
      server = createServer((client) => {
        const upstream = createConnection(target);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      const closing = server;
      server = undefined;
      if (closing) await new Promise((resolve) => closing.close(resolve));
    },
  };
}

/** A Postgres database reached through an UnreachablePort. */
export interface UnreachableDatabase extends UnreachablePort {
  /** The database's URL through the port: refused until `open()`. */
  url: string;
}

export async function unreachableDatabase(databaseUrl: string): Promise<UnreachableDatabase> {
  const url = new URL(databaseUrl);
  const port = await unreachablePort({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${port.port}`;
  return { ...port, url: url.toString() };
}
