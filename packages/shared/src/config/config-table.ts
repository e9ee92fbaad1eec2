import { ConfigError } from '../errors/errors.ts';
import { type ConfigVariableName, configVariables } from './config.schema.ts';
import { BASE_CONFIG_VARIABLES, type ConfigSectionName, configSections, loadConfigSections } from './load-config.ts';
import { SERVICE_CONFIG_SECTIONS, type ServiceName } from './service-sections.ts';

/** Where `npm run docs:config` writes, relative to the repository root. */
export const CONFIG_DOCS_PATH = 'docs/configuration.md';
export const ENV_EXAMPLE_PATH = '.env.example';

type SectionKey = 'base' | ConfigSectionName;

/** The heading of each section; the compiler makes a new section name its title here. */
const SECTION_TITLES: Record<SectionKey, string> = {
  base: 'Mode and logging',
  database: 'Postgres',
  redis: 'Redis and queues',
  http: 'HTTP',
  twilio: 'Twilio',
  sms: 'SMS',
  outboundCalls: 'Outbound calls',
  workers: 'Workers',
  metrics: 'Metrics',
  openai: 'OpenAI',
  supabase: 'Supabase Auth',
  internalApi: 'Internal API',
  dashboard: 'Queue dashboard',
  retention: 'Retention',
  transcripts: 'Transcripts',
  voice: 'Answering calls',
  voiceBot: 'The voice bot',
  onboarding: 'Onboarding and verification',
  stack: '`npm start`',
};

interface DocumentedSection {
  key: SectionKey;
  title: string;
  readers: string;
  /** The section's variables not already listed under an earlier section. */
  variables: ConfigVariableName[];
}

const SERVICES = Object.keys(SERVICE_CONFIG_SECTIONS) as ServiceName[];

function sectionVariables(key: SectionKey): readonly ConfigVariableName[] {
  return key === 'base' ? BASE_CONFIG_VARIABLES : configSections[key].variables;
}

function readersOfSection(key: SectionKey): string {
  if (key === 'base') return 'every process';
  const readers = SERVICES.filter((service) =>
    (SERVICE_CONFIG_SECTIONS[service] as readonly ConfigSectionName[]).includes(key),
  );
  return readers.length > 0 ? readers.join(', ') : '`npm start`';
}

/** The processes whose sections read `name`; `npm start` reads every section. */
function readersOf(name: ConfigVariableName): ServiceName[] | 'every process' {
  if ((BASE_CONFIG_VARIABLES as readonly string[]).includes(name)) return 'every process';
  return SERVICES.filter((service) =>
    SERVICE_CONFIG_SECTIONS[service].some((key) => (configSections[key].variables as readonly string[]).includes(name)),
  );
}

/** Each section in load order, holding the variables it is the first to read, so each is listed once. */
function documentedSections(): DocumentedSection[] {
  const listed = new Set<ConfigVariableName>();
  const keys: SectionKey[] = ['base', ...(Object.keys(configSections) as ConfigSectionName[])];
  return keys
    .map((key) => {
      const variables = sectionVariables(key).filter((name) => !listed.has(name));
      for (const name of variables) listed.add(name);
      return { key, title: SECTION_TITLES[key], readers: readersOfSection(key), variables };
    })
    .filter((section) => section.variables.length > 0);
}

/**
 * Which processes refuse to start without each variable outside sandbox mode: each process's
 * sections are loaded with nothing set, and every refusal names its variable first.
 */
export function productionRequirements(): Map<ConfigVariableName, ServiceName[]> {
  const required = new Map<ConfigVariableName, ServiceName[]>();
  for (const service of SERVICES) {
    for (const name of refusedWithNothingSet(SERVICE_CONFIG_SECTIONS[service])) {
      required.set(name, [...(required.get(name) ?? []), service]);
    }
  }
  return required;
}

function refusedWithNothingSet(sections: readonly ConfigSectionName[]): ConfigVariableName[] {
  try {
    loadConfigSections(sections, {});
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((line) => line.split(' ')[0] as ConfigVariableName);
  }
}

function requiredCondition(name: ConfigVariableName): string | undefined {
  const variable = configVariables[name];
  return 'requiredCondition' in variable ? variable.requiredCondition : undefined;
}

/** "yes", "yes (sms), unless …" or "no": what the configuration refuses, with the schema's stated condition. */
function requirementOf(name: ConfigVariableName, required: Map<ConfigVariableName, ServiceName[]>): string {
  const requiredBy = required.get(name);
  const condition = requiredCondition(name);
  if (requiredBy === undefined) {
    if (condition !== undefined)
      throw new Error(`${name} declares a requiredCondition, but no process refuses to start without it`);
    return 'no';
  }
  const readers = readersOf(name);
  const everyReader = readers !== 'every process' && readers.every((service) => requiredBy.includes(service));
  const who = everyReader ? 'yes' : `yes (${requiredBy.join(', ')})`;
  return condition === undefined ? who : `${who}, ${condition}`;
}

function shownReaders(name: ConfigVariableName): string {
  const readers = readersOf(name);
  if (readers === 'every process') return readers;
  return readers.length > 0 ? readers.join(', ') : '`npm start`';
}

const PAGE_INTRO = `# Configuration

<!-- Generated by \`npm run docs:config\` from packages/shared/src/config/config.schema.ts and the sections in
load-config.ts and service-sections.ts; a test fails when this page is out of date. Edit those, not this page. -->

Every setting is an environment variable, validated once at start-up: a missing or invalid one stops the process
with one line naming it. The settings come in sections, and each process reads only the sections it uses
(\`SERVICE_CONFIG_SECTIONS\` in packages/shared/src/config/service-sections.ts): it validates, requires and is handed
nothing else, so the summarizer runs without any Twilio setting and \`npm run db:migrate\` with the database alone.
A variable read by several sections is listed under the first of them.

- **default**: the value used when the variable is unset or empty.
- **required in production**: outside sandbox mode (\`SANDBOX\` unset) the processes that read it refuse to start
  without it; the processes in brackets are the only ones that do. In sandbox mode each falls back to the local
  sandbox's value.
- **read by**: the processes whose sections read it. \`npm start\` reads every section.

Durations are written like \`90s\`, \`15m\`, \`24h\` or \`90d\`. [\`.env.example\`](../.env.example) lists the same
variables with their defaults, commented out; the processes read only their environment, so load a copy with
\`set -a; . ./.env; set +a\`.`;

function renderSectionTable(section: DocumentedSection, required: Map<ConfigVariableName, ServiceName[]>): string {
  const rows = section.variables.map((name) => {
    const variable = configVariables[name];
    const shownDefault = variable.default === undefined ? 'unset' : `\`${variable.default}\``;
    return `| \`${name}\` | ${shownDefault} | ${requirementOf(name, required)} | ${shownReaders(name)} | ${variable.description} |`;
  });
  return [
    `## ${section.title}`,
    '',
    `Section \`${section.key}\`.`,
    '',
    '| variable | default | required in production | read by | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** docs/configuration.md: one table per configuration section. */
export function renderConfigDocs(): string {
  const required = productionRequirements();
  const sections = documentedSections().map((section) => renderSectionTable(section, required));
  return `${[PAGE_INTRO, ...sections].join('\n\n')}\n`;
}

/** Quoted for both a POSIX shell and docker compose's env files when it holds more than plain characters. */
function shellValue(value: string): string {
  return /^[\w./:@,+-]*$/.test(value) ? value : `'${value}'`;
}

/** `.env.example`: every variable by section, commented out, with its default and meaning. */
export function renderEnvExample(): string {
  const required = productionRequirements();
  const header = [
    '# Series Killer configuration: every variable, by section, with its default (docs/configuration.md explains each).',
    '# Generated by `npm run docs:config` from packages/shared/src/config/config.schema.ts; do not edit by hand.',
    '# Copy it to .env, uncomment what you change, and load it with: set -a; . ./.env; set +a',
  ].join('\n');
  const sections = documentedSections().map((section) => {
    const lines = [`# ===== ${section.title.replaceAll('`', '')} (read by ${section.readers.replaceAll('`', '')})`];
    for (const name of section.variables) {
      const variable = configVariables[name];
      const requirement = requirementOf(name, required);
      lines.push('', `# ${variable.description.replaceAll('`', '')}`);
      if (requirement !== 'no') lines.push(`# Required in production: ${requirement.replaceAll('`', '')}`);
      lines.push(`# ${name}=${variable.default === undefined ? '' : shellValue(variable.default)}`);
    }
    return lines.join('\n');
  });
  return `${[header, ...sections].join('\n\n')}\n`;
}
