import type { Config, Db, Logger, Queues } from '@series-killer/shared';

/** What the onboarding steps work with, built once by the worker. */
export interface OnboardingDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  settings: Config['onboarding'];
  /** Set in bootstrap mode (no Supabase Auth): verification also confirms auth.users.phone. */
  confirmAuthPhone: boolean;
}
