// Number, money and date formatting in one place.
export const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
};

export function money(v: unknown, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 2 }).format(num(v));
  } catch {
    return `${num(v).toFixed(2)} ${currency}`;
  }
}

export const count = (v: unknown) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(num(v));

export function dateTime(v: string | null | undefined): string {
  if (!v) return '—';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function todayIn(timeZone: string, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      now,
    );
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

export function shiftDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function duration(from: string | null, to: string | null): string {
  if (!from) return '—';
  const ms = (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  return s < 60
    ? `${s} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A change with its sign (+12.50 €, −3): money when a currency is given, else a plain number. */
export function signedAmount(v: unknown, currency: string | null): string {
  const options: Intl.NumberFormatOptions = { signDisplay: 'exceptZero', maximumFractionDigits: 2 };
  try {
    return new Intl.NumberFormat('en-US', currency ? { ...options, style: 'currency', currency } : options).format(
      num(v),
    );
  } catch {
    return new Intl.NumberFormat('en-US', options).format(num(v));
  }
}
