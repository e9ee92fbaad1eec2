import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db, Logger } from '@series-killer/shared';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { clientErrorStatus } from '../http/client-error.ts';
import { authUserJson } from './auth-user-json.ts';
import {
  deleteAuthUser,
  findAuthUser,
  insertAuthUser,
  isForeignKeyViolation,
  uniqueViolationColumn,
} from './auth-users.repository.ts';

const API_VERSION_HEADER = 'X-Supabase-Api-Version';
const API_VERSION = '2024-01-01';
const AUTH_PHONE = /^[1-9]\d{1,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AdminUsersDeps {
  db: Db;
  serviceRoleKey: string;
  logger: Logger;
}

/** The attributes of `supabase.auth.admin.createUser`, as sent on the wire. */
interface CreateUserBody {
  id?: unknown;
  email?: unknown;
  phone?: unknown;
  password?: unknown;
  email_confirm?: unknown;
  phone_confirm?: unknown;
  user_metadata?: unknown;
  app_metadata?: unknown;
  role?: unknown;
}

/**
 * Supabase Auth's error body: `{ code, msg }` for clients of API version 2024-01-01 (as
 * supabase-js is), the legacy `{ code: status, error_code, msg }` for older ones.
 */
function sendAuthError(req: Request, res: Response, status: number, errorCode: string, msg: string): void {
  const version = req.get(API_VERSION_HEADER);
  if (version !== undefined && version >= API_VERSION) {
    res.status(status).set(API_VERSION_HEADER, API_VERSION).json({ code: errorCode, msg });
    return;
  }
  res.status(status).json({ code: status, error_code: errorCode, msg });
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function requireServiceRole(serviceRoleKey: string): RequestHandler {
  return (req, res, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      sendAuthError(req, res, 401, 'no_authorization', 'This endpoint requires a Bearer token');
      return;
    }
    if (!sameText(token, serviceRoleKey)) {
      sendAuthError(req, res, 403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature');
      return;
    }
    next();
  };
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

type Parsed =
  | { ok: true; id: string; email: string | null; phone: string | null }
  | { ok: false; status: number; code: string; msg: string };

function parseCreateUser(body: CreateUserBody): Parsed {
  const email = typeof body.email === 'string' && body.email !== '' ? body.email.trim().toLowerCase() : null;
  const phone =
    typeof body.phone === 'string' && body.phone !== '' ? body.phone.replace(/^\+/, '').replace(/[\s-]/g, '') : null;
  const fail = (msg: string): Parsed => ({ ok: false, status: 400, code: 'validation_failed', msg });
  if (email === null && phone === null) return fail('Cannot create a user without either an email or phone');
  if (email !== null && !EMAIL.test(email)) return fail('Unable to validate email address: invalid format');
  if (phone !== null && !AUTH_PHONE.test(phone)) return fail('Invalid phone number format (E.164 required)');
  if (body.id !== undefined && (typeof body.id !== 'string' || !UUID.test(body.id)))
    return fail('id must be a valid UUID');
  return { ok: true, id: typeof body.id === 'string' ? body.id : randomUUID(), email, phone };
}

const DUPLICATE: Record<string, { code: string; msg: string }> = {
  phone: { code: 'phone_exists', msg: 'Phone number already registered by another user' },
  email: { code: 'email_exists', msg: 'A user with this email address has already been registered' },
  id: { code: 'user_already_exists', msg: 'User already registered' },
};

/**
 * The admin subset of Supabase Auth that supabase-js's `auth.admin` uses to create, read and
 * delete users, writing `auth.users` of the configured database as Supabase Auth does.
 */
export function adminUsersRouter(deps: AdminUsersDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  router.use(requireServiceRole(deps.serviceRoleKey));

  router.post('/admin/users', async (req, res) => {
    const body = objectOrEmpty(req.body) as CreateUserBody;
    const parsed = parseCreateUser(body);
    if (!parsed.ok) {
      sendAuthError(req, res, parsed.status, parsed.code, parsed.msg);
      return;
    }
    const provider = parsed.email !== null ? 'email' : 'phone';
    const providers = [parsed.email !== null ? 'email' : undefined, parsed.phone !== null ? 'phone' : undefined].filter(
      (p): p is string => p !== undefined,
    );
    const now = new Date();
    try {
      const row = await insertAuthUser(deps.db, {
        id: parsed.id,
        email: parsed.email,
        phone: parsed.phone,
        emailConfirmedAt: body.email_confirm === true && parsed.email !== null ? now : null,
        phoneConfirmedAt: body.phone_confirm === true && parsed.phone !== null ? now : null,
        appMetadata: { provider, providers, ...objectOrEmpty(body.app_metadata) },
        userMetadata: objectOrEmpty(body.user_metadata),
        role: typeof body.role === 'string' && body.role !== '' ? body.role : 'authenticated',
      });
      res.set(API_VERSION_HEADER, API_VERSION).json(authUserJson(row));
    } catch (error) {
      const column = uniqueViolationColumn(error);
      if (column === undefined) throw error;
      const duplicate = DUPLICATE[column] as { code: string; msg: string };
      sendAuthError(req, res, 422, duplicate.code, duplicate.msg);
    }
  });

  router.get('/admin/users/:id', async (req, res) => {
    const id = String(req.params.id);
    const row = UUID.test(id) ? await findAuthUser(deps.db, id) : undefined;
    if (!row) {
      sendAuthError(req, res, 404, 'user_not_found', 'User not found');
      return;
    }
    res.set(API_VERSION_HEADER, API_VERSION).json(authUserJson(row));
  });

  // Supabase Auth deletes the row itself: a public row still referencing the user (a foreign key
  // without ON DELETE) makes the delete fail, and Auth answers 500 "Database error deleting user".
  router.delete('/admin/users/:id', async (req, res) => {
    const id = String(req.params.id);
    try {
      const deleted = UUID.test(id) && (await deleteAuthUser(deps.db, id));
      if (!deleted) {
        sendAuthError(req, res, 404, 'user_not_found', 'User not found');
        return;
      }
      res.set(API_VERSION_HEADER, API_VERSION).json({});
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      sendAuthError(req, res, 500, 'unexpected_failure', 'Database error deleting user');
    }
  });

  router.use((req, res) => {
    sendAuthError(req, res, 404, 'not_found', `${req.method} ${req.originalUrl} is not emulated by the sandbox`);
  });

  router.use(((error: unknown, req, res, _next) => {
    if (clientErrorStatus(error) !== undefined) {
      sendAuthError(req, res, 400, 'bad_json', 'Could not parse request body as JSON');
      return;
    }
    deps.logger.error({ err: error }, 'supabase auth emulation failed');
    sendAuthError(
      req,
      res,
      500,
      'unexpected_failure',
      'Unexpected failure, please check server logs for more information',
    );
  }) as express.ErrorRequestHandler);
  return router;
}

/** Supabase Auth's routes when the sandbox has no database to keep users in. */
export function authWithoutDatabaseRouter(): Router {
  const router = Router();
  router.use((req, res) => {
    sendAuthError(
      req,
      res,
      503,
      'unexpected_failure',
      'The sandbox was started without databaseUrl, so Supabase Auth is off',
    );
  });
  return router;
}
