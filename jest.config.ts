import type { Config } from 'jest';

const workspaces = [
  'packages/shared',
  'packages/sandbox',
  'services/ingress',
  'services/sms',
  'services/onboarding',
  'services/summarizer',
  'services/voice',
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

/** Projects with tests on a Redis Cluster (REDIS_CLUSTER_NODES): their run starts the local one when none answers. */
const NEEDS_REDIS_CLUSTER = ['shared', 'stack'];

const project = (displayName: string, rootDir: string, testMatch: string) => ({
  displayName,
  rootDir,
  testMatch: [testMatch],
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
  // A project's global set-up runs only when one of its tests is selected.
  ...(NEEDS_REDIS_CLUSTER.includes(displayName)
    ? {
        globalSetup: `${import.meta.dirname}/scripts/testing/jest-global-setup.ts`,
        globalTeardown: `${import.meta.dirname}/scripts/testing/jest-global-teardown.ts`,
      }
    : {}),
});

const config: Config = {
  projects: [
    ...workspaces.map((dir) => project(dir.split('/')[1] as string, `<rootDir>/${dir}`, '<rootDir>/src/**/*.test.ts')),
    // The stack as a whole: npm start, the demo, operations, scale-out on a Redis Cluster, and the
    // docker-compose file and Dockerfile as files (npm run compose:check runs them).
    project('stack', '<rootDir>/scripts', '<rootDir>/**/*.test.ts'),
  ],
  testTimeout: 30_000,
};

export default config;
