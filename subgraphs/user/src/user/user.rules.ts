import { BadUserInputError } from '@shop/runtime';

/** The contract's bounds, checked before anything reaches SQL or scrypt. */
export const LIMITS = {
  email: 254,
  emailLocalPart: 64,
  password: { min: 8, max: 1024 },
  name: { min: 1, max: 100 },
} as const;

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** The form emails are stored and looked up in. */
export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

export function parseEmail(value: string): string {
  const email = normalizeEmail(value);
  const local = email.slice(0, email.lastIndexOf('@'));
  if (email.length > LIMITS.email || !EMAIL.test(email) || local.length > LIMITS.emailLocalPart) {
    throw new BadUserInputError("'email' is not a valid email address.", 'email');
  }
  return email;
}

/** Counts characters, not UTF-16 units, so an emoji is one character. */
export function passwordLengthOk(value: string): boolean {
  const length = Array.from(value).length;
  return length >= LIMITS.password.min && length <= LIMITS.password.max;
}

export function parsePassword(value: string): string {
  if (!passwordLengthOk(value)) {
    throw new BadUserInputError(`'password' must be between ${LIMITS.password.min} and ${LIMITS.password.max} characters.`, 'password');
  }
  return value;
}

export function parseName(value: string): string {
  const name = value.trim();
  const length = Array.from(name).length;
  if (length < LIMITS.name.min || length > LIMITS.name.max) {
    throw new BadUserInputError(`'name' must be between ${LIMITS.name.min} and ${LIMITS.name.max} characters.`, 'name');
  }
  return name;
}
