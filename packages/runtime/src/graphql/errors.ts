import { GraphQLError } from 'graphql';

/** The error codes clients can rely on (docs/errors.md). */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'SERVICE_UNAVAILABLE';

abstract class CodedError extends GraphQLError {
  abstract readonly code: ErrorCode;
  protected constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export class BadUserInputError extends CodedError {
  readonly code = 'BAD_USER_INPUT';
  constructor(message: string, field?: string) {
    super(message, 'BAD_USER_INPUT', field ? { field } : {});
  }
}

export class UnauthenticatedError extends CodedError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'You must be signed in.') {
    super(message, 'UNAUTHENTICATED');
  }
}

export class ForbiddenError extends CodedError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'You are not allowed to do that.') {
    super(message, 'FORBIDDEN');
  }
}

export class NotFoundError extends CodedError {
  readonly code = 'NOT_FOUND';
  constructor(message = 'Not found.') {
    super(message, 'NOT_FOUND');
  }
}

export class ConflictError extends CodedError {
  readonly code = 'CONFLICT';
  constructor(message: string) {
    super(message, 'CONFLICT');
  }
}

export class ServiceUnavailableError extends CodedError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(message: string) {
    super(message, 'SERVICE_UNAVAILABLE');
  }
}

export function isCodedError(error: unknown): error is CodedError {
  return error instanceof CodedError;
}
