import { createHash } from 'node:crypto';
import type { AuthUserRow } from './auth-users.repository.ts';

function iso(value: Date | string | null): string | undefined {
  if (value === null) return undefined;
  return new Date(value).toISOString();
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A stable UUID-shaped id for a user's identity with one provider. */
function identityId(userId: string, provider: string): string {
  const hex = createHash('sha256').update(`${userId}:${provider}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A user in Supabase Auth's JSON shape (GoTrue's `User`), as the admin API answers. */
export function authUserJson(row: AuthUserRow) {
  const createdAt = iso(row.created_at) ?? new Date().toISOString();
  const updatedAt = iso(row.updated_at) ?? createdAt;
  const appMetadata = objectOf(row.raw_app_meta_data);
  const providers = Array.isArray(appMetadata.providers) ? (appMetadata.providers as string[]) : [];
  const identities = providers.map((provider) => ({
    identity_id: identityId(row.id, provider),
    id: row.id,
    user_id: row.id,
    identity_data: {
      sub: row.id,
      ...(provider === 'phone' ? { phone: row.phone ?? '' } : { email: row.email ?? '' }),
      email_verified: false,
      phone_verified: false,
    },
    provider,
    last_sign_in_at: createdAt,
    created_at: createdAt,
    updated_at: updatedAt,
    ...(provider === 'email' ? { email: row.email ?? '' } : {}),
  }));
  return {
    id: row.id,
    aud: row.aud ?? 'authenticated',
    role: row.role ?? 'authenticated',
    email: row.email ?? '',
    email_confirmed_at: iso(row.email_confirmed_at),
    phone: row.phone ?? '',
    phone_confirmed_at: iso(row.phone_confirmed_at),
    confirmed_at: iso(row.confirmed_at),
    app_metadata: appMetadata,
    user_metadata: objectOf(row.raw_user_meta_data),
    identities,
    created_at: createdAt,
    updated_at: updatedAt,
    is_anonymous: row.is_anonymous,
  };
}
