// The data path's own failures, in the AppError family so every edge reports them in the standard format.
import { AppError } from '@tributary/shared/domain/errors';

/** A converted result needs a rate that fx_rates does not have: never guess 1.0. */
export class FxRateMissingError extends AppError {
  constructor(
    readonly date: string,
    readonly currency: string,
    readonly target: string,
  ) {
    super(
      'FX_RATE_MISSING',
      `No exchange rate from ${currency} to ${target} for ${date}; ask for currency=native or load that day's rate`,
      422,
      {
        date,
        currency,
        target_currency: target,
      },
    );
  }
}

/** More rows than one Excel sheet holds: refuse up front rather than send a silently cut file. */
export class ResultTooLargeError extends AppError {
  constructor(rows: number, limit: number) {
    super(
      'RESULT_TOO_LARGE',
      `The result has ${rows} rows, more than the ${limit} a spreadsheet holds; aggregate (aggregate=daily, weekly, monthly or total) or narrow the date range`,
      422,
      {
        rows,
        max_rows: limit,
        suggestions: ['aggregate=weekly', 'aggregate=monthly', 'a narrower start_date/end_date', 'fewer dimensions'],
      },
    );
  }
}
