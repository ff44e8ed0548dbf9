// Durations in the roster: "15s", "2m", "1h", "500ms" or a whole number of seconds.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Seconds for a duration string or integer; null when it is not one (or not > 0). */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  }
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  }
  const match = DURATION_RE.exec(text);
  if (!match) return null;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? "s"] ?? 1);
  return seconds > 0 && Number.isFinite(seconds) ? seconds : null;
}

/** Like parseDuration, but zero ("0", "0s", 0) is allowed: a delay that may be none. */
export function parseDelay(value: unknown): number | null {
  if (value === 0) return 0;
  if (typeof value === "string" && /^0+(?:\.0+)?(ms|s|m|h)?$/.test(value.trim())) return 0;
  return parseDuration(value);
}

/** Compact whole-unit rendering for messages and tables: "0s", "45s", "3m", "2h", "4d". */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.max(0, Math.round(seconds))}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
