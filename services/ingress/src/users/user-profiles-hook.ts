import { type PreparedJob, prepareJob } from '@series-killer/shared';
import { z } from 'zod';
import { parseRequest } from '../http/parse-request.ts';

/** A Supabase database webhook, as configured on `public.user_profiles`. */
const databaseWebhook = z.object({
  type: z.enum(['INSERT', 'UPDATE', 'DELETE']),
  schema: z.literal('public', 'must be public'),
  table: z.literal('user_profiles', 'must be user_profiles'),
  record: z.unknown(),
});

const insertedProfile = z.object({ record: z.object({ user_id: z.uuid('must be a UUID') }) });

/**
 * The onboarding start of a new profile, or undefined for the events that start nothing
 * (updates and deletes). A webhook aimed at another table is a configuration error (400).
 */
export function userProfilesHookJob(body: unknown): PreparedJob<'start-onboarding'> | undefined {
  const event = parseRequest(databaseWebhook, body);
  if (event.type !== 'INSERT') return undefined;
  const { record } = parseRequest(insertedProfile, body);
  return prepareJob('start-onboarding', { userId: record.user_id, trigger: 'db-webhook' });
}
