/** Start-up configuration is missing or invalid; `problems` holds one readable line per setting. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A job payload or webhook body does not match its schema. */
export class PayloadValidationError extends Error {
  readonly issues: string[];
  constructor(what: string, issues: string[], options?: ErrorOptions) {
    super(`${what}: ${issues.join('; ')}`, options);
    this.name = 'PayloadValidationError';
    this.issues = issues;
  }
}
