// A Postgres cluster of the drill's own (initdb + pg_ctl on a spare port, trust auth), so a drill
// can restart Postgres without touching the server everyone else uses.
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '@series-killer/shared';
import { freePort } from '@series-killer/shared/testing';
import pg from 'pg';
import { runCommand } from './processes.ts';

/** The newest Debian Postgres binaries, unless PG_BIN names a directory. */
async function postgresBin(): Promise<string> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no Postgres under /usr/lib/postgresql; set PG_BIN');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export interface PostgresCluster {
  /** A migrated database on the cluster. */
  databaseUrl: string;
  /** Stops Postgres (fast shutdown: open connections are cut), waits `downMs`, starts it again. */
  restart(downMs: number): Promise<void>;
  /** Stops Postgres at once and deletes the cluster. */
  destroy(): Promise<void>;
}

/** Postgres refuses to run as root, so as root every command runs as the `postgres` user. */
async function asPostgres(command: string, args: string[]): Promise<string> {
  if (process.getuid?.() !== 0) return runCommand(command, args);
  return runCommand('runuser', ['-u', 'postgres', '--', command, ...args]);
}

async function postgresUid(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([runCommand('id', ['-u', 'postgres']), runCommand('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** initdb, start on a free port of 127.0.0.1, create and migrate database `bench`. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = await postgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'sk-bench-pg-'));
  const owner = await postgresUid();
  if (owner) await chown(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const pgCtl = (...args: string[]) => asPostgres(`${bin}/pg_ctl`, ['-D', data, '-l', join(dir, 'log'), ...args]);
  const start = () => pgCtl('-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start');

  const destroy = async () => {
    await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await asPostgres(`${bin}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await start();
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE bench').finally(() => admin.end());
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/bench`;
    await runMigrations(databaseUrl);
    return {
      databaseUrl,
      async restart(downMs) {
        await pgCtl('-m', 'fast', '-w', 'stop');
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await start();
      },
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
