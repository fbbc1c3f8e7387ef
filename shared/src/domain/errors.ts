// Every failure the API reports is an AppError with a code from the original design (section 4.5) or one
// of ours in the same style. Only the error-envelope middleware turns them into responses.
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'AUTHENTICATION_REQUIRED'
  | 'AUTHORIZATION_FAILED'
  | 'RESOURCE_NOT_FOUND'
  | 'RATE_LIMIT_EXCEEDED'
  | 'CONFLICT'
  | 'NOT_IMPLEMENTED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PLATFORM_AUTH_EXPIRED'
  | 'PLATFORM_ERROR'
  | 'RESULT_TOO_LARGE'
  | 'FX_RATE_MISSING'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VALIDATION_ERROR', message, 400, details);
  }
}
export class AuthenticationRequiredError extends AppError {
  constructor(message = 'A valid access token is required') {
    super('AUTHENTICATION_REQUIRED', message, 401);
  }
}
export class AuthorizationFailedError extends AppError {
  constructor(message = 'Your role does not allow this action', details: Record<string, unknown> = {}) {
    super('AUTHORIZATION_FAILED', message, 403, details);
  }
}
export class NotFoundError extends AppError {
  constructor(resource: string, id?: string) {
    super('RESOURCE_NOT_FOUND', `${resource} not found`, 404, id ? { resource, id } : { resource });
  }
}
export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, 409, details);
  }
}
export class RateLimitExceededError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super('RATE_LIMIT_EXCEEDED', `Too many requests; retry in ${retryAfterSeconds} s`, 429, {
      retry_after_seconds: retryAfterSeconds,
      ...details,
    });
  }
}
/** Capacity, not a fault: the client should come back after retryAfterSeconds (503 + Retry-After). */
export class ServiceUnavailableError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super('SERVICE_UNAVAILABLE', message, 503, { retry_after_seconds: retryAfterSeconds, ...details });
  }
}
export class NotImplementedError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NOT_IMPLEMENTED', message, 501, details);
  }
}
