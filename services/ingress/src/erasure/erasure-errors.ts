/** Neither an auth user nor an earlier erasure has this id (or phone number). */
export class UnknownUserError extends Error {
  constructor(what: string) {
    super(`no user ${what}`);
    this.name = 'UnknownUserError';
  }
}
