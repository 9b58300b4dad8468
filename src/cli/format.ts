/**
 * Plain-text output for a terminal. Ticket text is untrusted: control characters (escape
 * sequences that could rewrite the terminal) and bidirectional overrides and isolates (which make
 * a terminal show text in another order than it is, "Trojan Source") are replaced before anything
 * is printed.
 */
import { isLive, type Run } from '../domain/run';
import { needsInput } from '../domain/runAttention';
import { isStatus } from '../domain/status';
import { formatUsage } from '../domain/usage';
import type { Ticket } from '../domain/ticket';
import { priorityName, statusLabel } from '../domain/vocabulary';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of untrusted text, safe for a terminal. */
export function safeLine(text: string, max = 200): string {
  const flat = text.replace(/\r?\n/g, ' ').replace(CONTROL, '?');
  return [...flat].length > max ? `${[...flat].slice(0, max - 1).join('')}…` : flat;
}

/** Several lines of untrusted text, each safe for a terminal. */
export function safeBlock(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(CONTROL, '?'))
    .join('\n');
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

export function isoTime(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function ticketRow(t: Ticket): string[] {
  return [t.id, statusLabel(t.status), priorityName(t.priority), t.type, safeLine(t.title, 100)];
}

export function runRow(r: Run): string[] {
  const exit = r.exitCode !== undefined ? `exit ${r.exitCode}` : '';
  const stage = isStatus(r.stage) ? statusLabel(r.stage) : safeLine(r.stage, 30);
  const marks = [needsInput(r) ? 'needs input' : '', r.attention?.loop && isLive(r) ? 'looping' : ''].filter(Boolean).join(', ');
  return [r.id, r.ticketId, stage, r.status + (marks ? ` (${marks})` : ''), safeLine(r.agent, 30), `#${r.attempt}`, isoTime(r.startedAt), exit, r.usage ? formatUsage(r.usage) : ''];
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
