/**
 * The xs:duration values a WS-Management request carries (w:OperationTimeout, rsp:IdleTimeOut), read by the emulated
 * host (MS-WSMV 2.2.4.23 OperationTimeout; XML Schema Part 2 3.2.6 duration).
 */

/**
 * xs:duration to milliseconds, for the forms WS-Management uses (PT20S, PT60.000S, PT1M30S, P1DT2H).
 * Returns undefined when it cannot be read. Years and months are refused (no fixed length).
 */
export function parseDurationMs(s: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m || s.trim() === "P" || s.trim().endsWith("T")) return undefined;
  const [, d, h, mi, sec] = m;
  return Math.round(
    ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Number(sec ?? 0) * 1000,
  );
}
