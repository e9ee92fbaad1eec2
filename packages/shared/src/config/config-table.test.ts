import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { configVariables } from './config.schema.ts';
import {
  CONFIG_DOCS_PATH,
  ENV_EXAMPLE_PATH,
  productionRequirements,
  renderConfigDocs,
  renderEnvExample,
} from './config-table.ts';

const root = new URL('../../../../', import.meta.url);

describe('configuration reference', () => {
  it('docs/configuration.md agrees with the config schema (run `npm run docs:config` to regenerate)', async () => {
    expect(await readFile(new URL(CONFIG_DOCS_PATH, root), 'utf8')).toBe(renderConfigDocs());
  });

  it('.env.example agrees with the config schema (run `npm run docs:config` to regenerate)', async () => {
    expect(await readFile(new URL(ENV_EXAMPLE_PATH, root), 'utf8')).toBe(renderEnvExample());
  });

  it('marks as required in production what the processes refuse to start without outside sandbox mode', () => {
    expect(Object.fromEntries(productionRequirements())).toEqual({
      TWILIO_ACCOUNT_SID: ['ingress', 'sms', 'voice', 'sandbox'],
      TWILIO_AUTH_TOKEN: ['ingress', 'sms', 'voice', 'sandbox'],
      TWILIO_FROM_NUMBER: ['sms'],
      OPENAI_API_KEY: ['summarizer', 'voice'],
      VOICE_BOT_PUBLIC_URL: ['ingress', 'voice'],
      VERIFICATION_CODE_SECRET: ['onboarding'],
    });
  });

  it('lists every variable of the schema exactly once in each file', () => {
    const docs = renderConfigDocs();
    const env = renderEnvExample();
    for (const name of Object.keys(configVariables)) {
      expect(docs.split(`| \`${name}\` |`)).toHaveLength(2);
      expect(env.split(`\n# ${name}=`)).toHaveLength(2);
    }
  });
});
