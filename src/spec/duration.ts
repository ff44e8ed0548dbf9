// Durations in the roster: "15s", "2m", "1h", "500ms" or a whole number of seconds
// (docs/roster.md). One grammar, DURATION_RE, checked by the CLI and written into the
// roster's JSON Schema as its pattern, so an editor and `fleet validate` agree.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * A duration written as text: at most 15 digits, then either nothing (whole seconds) or
 * a unit (ms, s, m, h), optionally after a fraction of up to 9 digits; never zero (the
 * lookahead refuses "0", "0s", "0.0m"). Bounded so every match is a safe, finite number.
 */
export const DURATION_RE = /^(?!0*(?:\.0*)?(?:ms|s|m|h)?$)\d{1,15}(?:(?:\.\d{1,9})?(?:ms|s|m|h))?$/;
const PARTS_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Seconds for a duration string or integer; null when it is not one (or not > 0).
 * Command-line flags and the environment may carry surrounding blanks; the roster's
 * schema takes DURATION_RE as written.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  }
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (!DURATION_RE.test(text)) return null;
  const match = PARTS_RE.exec(text);
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
