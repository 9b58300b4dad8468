/**
 * Times as the user reads them, in the editor's display language: one helper for the Agents view
 * and the ticket page, so both show the same clock. No `vscode` import (the locale is passed in).
 */

/** "14:05:09" (or the locale's form of it). */
export function localClockTime(ms: number, locale?: string): string {
  return format(ms, locale, { timeStyle: 'medium' });
}

/** "15 Jan 2026, 14:05" (or the locale's form of it). */
export function localDateTime(ms: number, locale?: string): string {
  return format(ms, locale, { dateStyle: 'medium', timeStyle: 'short' });
}

function format(ms: number, locale: string | undefined, options: Intl.DateTimeFormatOptions): string {
  if (!Number.isFinite(ms)) return 'unknown time';
  try {
    return new Date(ms).toLocaleString(locale, options);
  } catch {
    // A locale tag the runtime does not know: its default locale.
    return new Date(ms).toLocaleString(undefined, options);
  }
}
