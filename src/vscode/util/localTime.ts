/**
 * Times as the user reads them, in the editor's display language: one helper for the Agents view
 * and the ticket page, so both show the same clock. No `vscode` import (the locale is passed in).
 * The formatters are made once per locale and style: making one loads the locale's data, a
 * millisecond or more each time, and the Agents view shows times on every agent's refresh.
 */

type Style = 'clock' | 'dateTime';

const STYLES: Record<Style, Intl.DateTimeFormatOptions> = {
  clock: { timeStyle: 'medium' },
  dateTime: { dateStyle: 'medium', timeStyle: 'short' },
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "14:05:09" (or the locale's form of it). */
export function localClockTime(ms: number, locale?: string): string {
  return format(ms, locale, 'clock');
}

/** "15 Jan 2026, 14:05" (or the locale's form of it). */
export function localDateTime(ms: number, locale?: string): string {
  return format(ms, locale, 'dateTime');
}

function format(ms: number, locale: string | undefined, style: Style): string {
  if (!Number.isFinite(ms)) return 'unknown time';
  return formatter(locale, style).format(new Date(ms));
}

function formatter(locale: string | undefined, style: Style): Intl.DateTimeFormat {
  const key = `${style}\0${locale ?? ''}`;
  let made = formatters.get(key);
  if (!made) {
    try {
      made = new Intl.DateTimeFormat(locale, STYLES[style]);
    } catch {
      // A locale tag the runtime does not know: its default locale.
      made = new Intl.DateTimeFormat(undefined, STYLES[style]);
    }
    formatters.set(key, made);
  }
  return made;
}
