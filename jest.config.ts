import type { Config } from 'jest';

const workspaces = [
  'packages/shared',
  'packages/sandbox',
  'services/ingress',
  'services/sms',
  'services/onboarding',
  'services/summarizer',
];

/** TypeScript is compiled by swc, keeping ES modules: the code runs as it does under Node. */
const transform: Config['transform'] = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'es6' },
    },
  ],
};

const config: Config = {
  projects: workspaces.map((dir) => ({
    displayName: dir.split('/')[1],
    rootDir: `<rootDir>/${dir}`,
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform,
    testEnvironment: 'node',
  })),
  testTimeout: 30_000,
};

export default config;
