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

/**
 * A dependency could not be reached, as an edge that knows it says (a request to OpenAI that got
 * no answer, say): its job waits for it as for a database that is away (see isDependencyUnavailable).
 */
export class DependencyUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}
