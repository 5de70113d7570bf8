// Which task controls the signed-in user sees (docs/authorization.md). The server decides every call;
// this only hides what would certainly be refused.
//   report progress: admin; or an office whose unit (alias-normalized) is a responsible unit of the
//     task, or covered by a responsible collective (各部门、各单位: every office; 相关属地 / 各镇街:
//     town and street offices, recognised by their name's ending as in data/units.json).
//   review (办结 / 退回): supervisor or admin, while a completion claim is pending.
import type { TaskDefinition, Unit } from "../gen/luoshi/v1/tasks_pb.js";
import { TaskStatus } from "../gen/luoshi/v1/tasks_pb.js";

const PREFIXES: Array<[string, string]> = [
  ["北京市大兴区", "区"],
  ["大兴区", "区"],
];
const LOCALITY = /(镇人民政府|镇政府|街道办事处|街道|地区办事处|镇|地区)$/;
export const ALL_OFFICES = "各部门、各单位";
export const LOCALITIES = ["相关属地", "各镇街"];

// Canonical unit name for a spelling, with the task service's unit list (names and aliases).
export function canonicalUnit(name: string, units: Unit[]): string {
  let n = name.trim();
  for (const [from, to] of PREFIXES) {
    if (n.startsWith(from)) {
      n = to + n.slice(from.length);
      break;
    }
  }
  for (const u of units) {
    if (u.name === n || u.aliases.includes(n)) return u.name;
  }
  return n;
}

export function isLocality(unit: string): boolean {
  return LOCALITY.test(unit);
}

export function officeMayReport(unit: string, def: TaskDefinition | undefined, units: Unit[]): boolean {
  if (!unit || !def) return false;
  const mine = canonicalUnit(unit, units);
  const responsible = def.responsibleUnits;
  if (responsible.includes(mine)) return true;
  if (responsible.includes(ALL_OFFICES)) return true;
  if (responsible.some((r) => LOCALITIES.includes(r)) && isLocality(mine)) return true;
  return false;
}

export interface TaskControls {
  report: boolean;
  review: boolean;
  // Why the report form is not shown (i18n key), for the office that might expect it; "" when shown
  // or when the role never reports.
  noReportKey: string;
  // Why a reviewer sees no review actions (their own report waits for review); "" otherwise.
  noReviewKey: string;
}

// lastReporter: the user who sent the task's latest report; no one reviews their own report
// (docs/authorization.md, "not own report").
export function taskControls(
  who: { role: string; unit: string; user?: string },
  def: TaskDefinition | undefined,
  status: TaskStatus,
  units: Unit[],
  lastReporter = "",
): TaskControls {
  const done = status === TaskStatus.DONE;
  let report = false;
  let noReportKey = "";
  if (who.role === "admin") report = !done;
  else if (who.role === "office") {
    const mine = officeMayReport(who.unit, def, units);
    report = mine && !done;
    if (!mine) noReportKey = "task.notYourTask";
    else if (done) noReportKey = "task.doneNoReport";
  }
  let review = (who.role === "supervisor" || who.role === "admin") && status === TaskStatus.COMPLETION_CLAIMED;
  let noReviewKey = "";
  if (review && who.user && who.user === lastReporter) {
    review = false;
    noReviewKey = "task.ownReport";
  }
  return { report, review, noReportKey, noReviewKey };
}
