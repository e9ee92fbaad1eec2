import { type Config, loadConfig } from '../config/load-config.ts';

/** Configuration for a test: the defaults in sandbox mode plus the test's own database, prefix and overrides. */
export function createTestConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', SANDBOX: '1', ...env });
}
