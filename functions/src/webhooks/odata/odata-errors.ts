// OData's JSON error format ({"error":{"code","message","target","details":[…]}}) carrying the fields of
// our standard envelope too (request_id, timestamp), so a feed error reads right in Power Query's dialog
// and in our logs alike.
import { AppError } from '@tributary/shared/domain/errors';
import { classifyError } from '@tributary/shared/http/error-envelope';

/** A refusal of an OData request: a 4xx with OData's error code vocabulary (BadRequest, NotSupported, …). */
export class ODataError extends AppError {
  constructor(
    status: number,
    readonly odataCode: string,
    message: string,
    readonly target?: string,
  ) {
    super(status === 501 ? 'NOT_IMPLEMENTED' : 'VALIDATION_ERROR', message, status, target ? { target } : {});
  }
}

export function odataErrorBody(error: unknown, requestId: string, now: Date): { status: number; body: string } {
  const classified = classifyError(error);
  const target =
    error instanceof ODataError
      ? error.target
      : typeof classified.details.field === 'string'
        ? classified.details.field
        : undefined;
  const details = Object.entries(classified.details)
    .filter(([k]) => k !== 'target')
    .map(([k, v]) => ({
      code: k,
      message: typeof v === 'string' ? v : JSON.stringify(v),
      ...(target ? { target } : {}),
    }));
  return {
    status: classified.status,
    body: JSON.stringify({
      error: {
        code: error instanceof ODataError ? error.odataCode : classified.code,
        message: classified.message,
        ...(target ? { target } : {}),
        details,
        request_id: requestId,
        timestamp: now.toISOString(),
      },
    }),
  };
}
