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

const project = (displayName: string, rootDir: string, testMatch: string) => ({
  displayName,
  rootDir,
  testMatch: [testMatch],
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
});

const config: Config = {
  projects: [
    ...workspaces.map((dir) => project(dir.split('/')[1] as string, `<rootDir>/${dir}`, '<rootDir>/src/**/*.test.ts')),
    // The stack as a whole: npm start, the demo, operations, scale-out on a Redis Cluster, and the
    // docker-compose file and Dockerfile (read, not built: no Docker engine runs in CI).
    project('stack', '<rootDir>/scripts', '<rootDir>/**/*.test.ts'),
  ],
  testTimeout: 30_000,
};

export default config;
