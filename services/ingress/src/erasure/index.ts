// What `npm run users` needs, without the HTTP server's modules.
export { authUsersFor } from '../users/auth-users.ts';
export { eraseUser } from './erase-user.ts';
export { UnknownUserError } from './erasure-errors.ts';
export type { ErasureTarget } from './erasure-subject.ts';
