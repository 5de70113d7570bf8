// Dates and times as the offices read them: China Standard Time, "2023-05-12 14:03".
import type { Timestamp } from "@bufbuild/protobuf/wkt";

const CST_OFFSET_MS = 8 * 3600 * 1000;

export function timestampMs(ts: Timestamp | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

// "2023-05-12 14:03" in UTC+8 (whatever the browser's zone); "" for no time.
export function formatTime(ms: number): string {
  if (!ms) return "";
  const d = new Date(ms + CST_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function formatTs(ts: Timestamp | undefined): string {
  return formatTime(timestampMs(ts));
}

// The reporting month "2023-05" of a moment, in UTC+8.
export function monthOf(ms: number): string {
  const d = new Date(ms + CST_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
}
