// What `npm run users` and `npm run docs:erasure` need, without the HTTP server's modules.
export { authUsersFor } from '../users/auth-users.ts';
export { eraseUser } from './erase-user.ts';
export { UnknownUserError } from './erasure-errors.ts';
export { replaceErasureOrder } from './erasure-order-docs.ts';
export type { ErasureTarget } from './erasure-subject.ts';
