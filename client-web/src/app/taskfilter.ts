// The task board's filtering, done in the browser over the loaded list so a filter change needs no
// round trip (10,000 tasks filter in a few milliseconds). Filters live in the URL:
//   plan=P1 unit=区财政局 leader=常务副区长 status=IN_PROGRESS light=red|yellow|green|done q=text
//   sort=number|light|due
import type { Task } from "../gen/luoshi/v1/tasks_pb.js";
import { TaskStatus } from "../gen/luoshi/v1/tasks_pb.js";
import { lightName, lightRank, statusFromKey, type LightName } from "./lights.js";

export interface BoardFilter {
  plan: string;
  unit: string;
  leader: string;
  status: string; // a TaskStatus key ("IN_PROGRESS") or ""
  light: string; // a LightName or ""
  q: string;
  sort: string; // "number" (plan order), "light" (worst first), "due" (earliest deadline first)
}

export const FILTER_KEYS: Array<keyof BoardFilter> = ["plan", "unit", "leader", "status", "light", "q", "sort"];

export function filterFromParams(params: URLSearchParams): BoardFilter {
  const get = (k: string) => (params.get(k) ?? "").trim();
  return {
    plan: get("plan"),
    unit: get("unit"),
    leader: get("leader"),
    status: get("status"),
    light: get("light"),
    q: get("q"),
    sort: get("sort"),
  };
}

export function filterToParams(f: BoardFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of FILTER_KEYS) if (f[k]) out[k] = f[k];
  return out;
}

// A task with what filtering and sorting need, computed once per task (not per filter change).
export interface Row {
  task: Task;
  id: string;
  seq: number; // position in the server's order
  light: LightName;
  status: TaskStatus;
  units: string[];
  leaders: string[];
  text: string;
  due: string; // ISO date or ""
}

export function toRow(task: Task, seq: number): Row {
  const d = task.definition;
  return {
    task,
    id: task.id,
    seq,
    light: lightName(task.light, task.status),
    status: task.status,
    units: d?.responsibleUnits ?? [],
    leaders: d?.leadLeaders ?? [],
    text: d?.text ?? "",
    due: d?.deadline?.date ?? "",
  };
}

export function matches(row: Row, f: BoardFilter, status: TaskStatus = statusFromKey(f.status)): boolean {
  if (f.unit && !row.units.includes(f.unit)) return false;
  if (f.leader && !row.leaders.includes(f.leader)) return false;
  if (f.status && row.status !== status) return false;
  if (f.light && row.light !== f.light) return false;
  if (f.q) {
    const q = f.q;
    if (!row.text.includes(q) && row.id !== q && row.task.definition?.number !== q) return false;
  }
  return true;
}

export function compareRows(sort: string): (a: Row, b: Row) => number {
  if (sort === "light") return (a, b) => lightRank(a.light) - lightRank(b.light) || a.seq - b.seq;
  if (sort === "due")
    return (a, b) => {
      // Dated first, earliest first; undated (ongoing) last.
      if (a.due !== b.due) {
        if (!a.due) return 1;
        if (!b.due) return -1;
        return a.due < b.due ? -1 : 1;
      }
      return a.seq - b.seq;
    };
  return (a, b) => a.seq - b.seq;
}

// Rows matching f, in f.sort order. The status key is parsed once, not per row.
export function filterRows(rows: Row[], f: BoardFilter): Row[] {
  const status = statusFromKey(f.status);
  const out = rows.filter((r) => matches(r, f, status));
  if (f.sort === "light" || f.sort === "due") out.sort(compareRows(f.sort));
  return out;
}

export function countLights(rows: Row[]): Record<LightName, number> {
  const c: Record<LightName, number> = { red: 0, yellow: 0, green: 0, done: 0, none: 0 };
  for (const r of rows) c[r.light]++;
  return c;
}

// Distinct values (units, leaders) of the rows, sorted as Chinese readers expect (pinyin order).
const collator = typeof Intl !== "undefined" ? new Intl.Collator("zh-CN") : null;
export function distinct(rows: Row[], pick: (r: Row) => string[]): string[] {
  const set = new Set<string>();
  for (const r of rows) for (const v of pick(r)) if (v) set.add(v);
  const list = [...set];
  return collator ? list.sort(collator.compare) : list.sort();
}
