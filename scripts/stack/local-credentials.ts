import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where sandbox mode keeps its local credentials between starts, so that a token printed once
 * stays valid for the demo, the docs' curl examples and the next `npm start`. Git ignores it;
 * only its owner may read it. Shell syntax: `set -a; . .local/credentials.env; set +a`.
 */
export const LOCAL_CREDENTIALS_FILE = fileURLToPath(new URL('../../.local/credentials.env', import.meta.url));

/** The settings sandbox mode fills in when they are unset. */
export interface LocalCredentials {
  INTERNAL_API_TOKEN: string;
  DASHBOARD_USER: string;
  DASHBOARD_PASSWORD: string;
}

function parse(text: string): Partial<LocalCredentials> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) values[match[1] as string] = match[2] as string;
  }
  return values;
}

/** The saved credentials, if the file exists. */
export function readLocalCredentials(file = LOCAL_CREDENTIALS_FILE): Partial<LocalCredentials> {
  return existsSync(file) ? parse(readFileSync(file, 'utf8')) : {};
}

/** The saved credentials, with any that are missing made and saved (atomically, mode 600). */
export function localCredentials(file = LOCAL_CREDENTIALS_FILE): LocalCredentials {
  const saved = readLocalCredentials(file);
  const credentials: LocalCredentials = {
    INTERNAL_API_TOKEN: saved.INTERNAL_API_TOKEN || randomBytes(24).toString('base64url'),
    DASHBOARD_USER: saved.DASHBOARD_USER || 'admin',
    DASHBOARD_PASSWORD: saved.DASHBOARD_PASSWORD || randomBytes(12).toString('base64url'),
  };
  const complete = Object.entries(credentials).every(
    ([name, value]) => saved[name as keyof LocalCredentials] === value,
  );
  if (complete) return credentials;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.tmp`;
  const lines = Object.entries(credentials).map(([name, value]) => `${name}=${value}`);
  writeFileSync(draft, `# Sandbox mode's local credentials (npm start). Not for production.\n${lines.join('\n')}\n`, {
    mode: 0o600,
  });
  chmodSync(draft, 0o600);
  renameSync(draft, file);
  return credentials;
}
