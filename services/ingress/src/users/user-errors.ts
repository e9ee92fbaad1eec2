/** The phone number or email of a new user already belongs to someone. */
export class UserConflictError extends Error {
  readonly field: 'phone' | 'email';
  constructor(field: 'phone' | 'email', options?: ErrorOptions) {
    super(field === 'phone' ? 'phone number is already linked to a user' : 'email is already registered', options);
    this.name = 'UserConflictError';
    this.field = field;
  }
}
