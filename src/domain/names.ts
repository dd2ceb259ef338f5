import { ValidationError } from './errors.js';

/** The principal that means every caller, signed in or not. */
export const EVERYONE = 'everyone';

// As in the old charm store: letters, digits, and . + - inside.
const ACCOUNT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9.+-]*[a-zA-Z0-9]$/;
const MAX_ACCOUNT_NAME_LENGTH = 64;

/** Checks a user or group name; `field` is the input field reported on failure. */
export function validateAccountName(name: string, field: string, what: 'user' | 'group'): string {
  if (name.length > MAX_ACCOUNT_NAME_LENGTH || !ACCOUNT_NAME.test(name)) {
    throw new ValidationError(
      `"${name}" is not a valid ${what} name: use 2 to ${MAX_ACCOUNT_NAME_LENGTH} letters, digits, ".", "+" or "-", starting and ending with a letter or digit`,
      field,
    );
  }
  if (name.toLowerCase() === EVERYONE) {
    throw new ValidationError(`"${EVERYONE}" is reserved for every caller and cannot be a ${what} name`, field);
  }
  return name;
}

/**
 * A name for a new user or group: lower case only. `Kirk` and `kirk` would
 * be two owners that look alike in every url (`~Kirk/foo`, `~kirk/foo`), so
 * new names are refused unless they are lower case; lookups stay exact, and
 * accounts created before this rule keep their names.
 */
export function validateNewAccountName(name: string, field: string, what: 'user' | 'group'): string {
  validateAccountName(name, field, what);
  if (name !== name.toLowerCase()) {
    throw new ValidationError(`"${name}" is not a valid ${what} name: new names are lower case; use "${name.toLowerCase()}"`, field);
  }
  return name;
}

const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

export function validatePassword(password: string, field = 'password'): string {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(
      `A password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
      field,
    );
  }
  return password;
}
