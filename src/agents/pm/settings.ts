/** The PM's thresholds, read from settings at the start of every cycle. */
export interface PmSettings {
  stallMinutes: number;
  maxRunMinutes: number;
  healGraceMinutes: number;
  maxHeals: number;
  checkinIntervalMinutes: number;
  /** A run whose owner has not heartbeated for this long is lost. */
  heartbeatTimeoutMs: number;
  /** SIGTERM, then SIGKILL after this long, when an overrun run is stopped. */
  stopGraceMs: number;
}

export const DEFAULT_PM_SETTINGS: PmSettings = {
  stallMinutes: 15,
  maxRunMinutes: 60,
  healGraceMinutes: 2,
  maxHeals: 3,
  checkinIntervalMinutes: 15,
  heartbeatTimeoutMs: 30_000,
  stopGraceMs: 10_000,
};

export const MINUTE = 60_000;

export { formatDuration } from '../../domain/duration';
