// Unit tests of the task pages' logic: board filtering/sorting, which controls a role sees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";

const unit = new URL("../../test-output/unit/", import.meta.url);
const { filterFromParams, filterToParams, filterRows, toRow, countLights, distinct } = await import(new URL("app/taskfilter.js", unit));
const { canonicalUnit, officeMayReport, taskControls } = await import(new URL("app/taskaccess.js", unit));
const { TaskSchema, UnitSchema, TaskDefinitionSchema, Light, TaskStatus } = await import(new URL("gen/luoshi/v1/tasks_pb.js", unit));

function task(id, { units = [], leaders = [], status = TaskStatus.NOT_STARTED, light = Light.GREEN, text = `任务${id}`, due = "" } = {}) {
  return create(TaskSchema, {
    id,
    status,
    light,
    definition: { number: id.slice(1), text, responsibleUnits: units, leadLeaders: leaders, deadline: { date: due } },
  });
}

const TASKS = [
  task("T1", { units: ["区发展改革委"], leaders: ["常务副区长"], light: Light.GREEN, due: "2023-12-31" }),
  task("T2", { units: ["区财政局"], leaders: ["常务副区长"], light: Light.RED, status: TaskStatus.IN_PROGRESS, due: "2023-06-30" }),
  task("T3", { units: ["区人力资源和社会保障局", "区农业农村局"], leaders: ["张晓晟"], light: Light.YELLOW, text: "居民收入稳步提升" }),
  task("T4", { units: ["区农业农村局"], leaders: ["张晓晟"], light: Light.GREEN, status: TaskStatus.DONE, due: "2023-03-31" }),
];
const ROWS = TASKS.map((t, i) => toRow(t, i));

test("filters come from the URL and go back without empty values", () => {
  const f = filterFromParams(new URLSearchParams("plan=P1&unit=%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80&light=red&q=+x+"));
  assert.deepEqual(f, { plan: "P1", unit: "区财政局", leader: "", status: "", light: "red", q: "x", sort: "" });
  assert.deepEqual(filterToParams(f), { plan: "P1", unit: "区财政局", light: "red", q: "x" });
});

test("filtering by unit (co-responsible too), leader, status, light and text", () => {
  const ids = (q) => filterRows(ROWS, filterFromParams(new URLSearchParams(q))).map((r) => r.id);
  assert.deepEqual(ids(""), ["T1", "T2", "T3", "T4"]);
  assert.deepEqual(ids("unit=区农业农村局"), ["T3", "T4"]);
  assert.deepEqual(ids("leader=常务副区长"), ["T1", "T2"]);
  assert.deepEqual(ids("status=IN_PROGRESS"), ["T2"]);
  assert.deepEqual(ids("light=done"), ["T4"]);
  assert.deepEqual(ids("light=green"), ["T1"], "a DONE task is not green on the board");
  assert.deepEqual(ids("q=收入"), ["T3"]);
  assert.deepEqual(ids("q=T2"), ["T2"], "an id finds its task");
  assert.deepEqual(ids("unit=区农业农村局&light=yellow"), ["T3"]);
});

test("sorting: worst light first; earliest deadline first with undated last", () => {
  const ids = (q) => filterRows(ROWS, filterFromParams(new URLSearchParams(q))).map((r) => r.id);
  assert.deepEqual(ids("sort=light"), ["T2", "T3", "T1", "T4"]);
  assert.deepEqual(ids("sort=due"), ["T4", "T2", "T1", "T3"]);
});

test("light counts and the distinct units in pinyin order", () => {
  assert.deepEqual(countLights(ROWS), { red: 1, yellow: 1, green: 1, done: 1, none: 0 });
  const units = distinct(ROWS, (r) => r.units);
  const expected = ["区发展改革委", "区财政局", "区人力资源和社会保障局", "区农业农村局"].sort(new Intl.Collator("zh-CN").compare);
  assert.deepEqual(units, expected, "each once, in the collator's order");
});

test("10,000 tasks filter in well under 100 ms in Node", () => {
  const many = [];
  for (let i = 0; i < 10000; i++) many.push(toRow(task(`T${i}`, { units: [`单位${i % 50}`], leaders: [`领导${i % 7}`], light: 1 + (i % 3) }), i));
  const t0 = performance.now();
  const out = filterRows(many, filterFromParams(new URLSearchParams("unit=单位7&light=red&sort=light")));
  const ms = performance.now() - t0;
  assert.ok(out.length > 0);
  assert.ok(ms < 100, `${ms} ms`);
});

const UNITS = [
  create(UnitSchema, { id: "区发展改革委", name: "区发展改革委", aliases: ["区发改委"] }),
  create(UnitSchema, { id: "各部门、各单位", name: "各部门、各单位", aliases: ["各部门"], collective: true }),
];

test("units: the district prefix and aliases reach the canonical name", () => {
  assert.equal(canonicalUnit("区发改委", UNITS), "区发展改革委");
  assert.equal(canonicalUnit("大兴区发改委", UNITS), "区发展改革委");
  assert.equal(canonicalUnit("北京市大兴区发展改革委", UNITS), "区发展改革委");
  assert.equal(canonicalUnit("区不存在局", UNITS), "区不存在局");
});

test("who may report: responsible offices (aliases, collectives, localities), admins; nobody on a DONE task", () => {
  const def = (units) => create(TaskDefinitionSchema, { responsibleUnits: units });
  assert.equal(officeMayReport("区发改委", def(["区发展改革委"]), UNITS), true);
  assert.equal(officeMayReport("区财政局", def(["区发展改革委"]), UNITS), false);
  assert.equal(officeMayReport("区财政局", def(["各部门、各单位"]), UNITS), true);
  assert.equal(officeMayReport("西红门镇", def(["相关属地"]), UNITS), true);
  assert.equal(officeMayReport("兴丰街道", def(["各镇街"]), UNITS), true);
  assert.equal(officeMayReport("区财政局", def(["各镇街"]), UNITS), false);
  const open = TaskStatus.IN_PROGRESS;
  const d = def(["区发展改革委"]);
  assert.deepEqual(taskControls({ role: "office", unit: "区发改委" }, d, open, UNITS), { report: true, review: false, noReportKey: "", noReviewKey: "" });
  assert.deepEqual(taskControls({ role: "office", unit: "区财政局" }, d, open, UNITS), { report: false, review: false, noReportKey: "task.notYourTask", noReviewKey: "" });
  assert.deepEqual(taskControls({ role: "office", unit: "区发改委" }, d, TaskStatus.DONE, UNITS), { report: false, review: false, noReportKey: "task.doneNoReport", noReviewKey: "" });
  assert.equal(taskControls({ role: "admin", unit: "" }, d, open, UNITS).report, true);
  assert.equal(taskControls({ role: "supervisor", unit: "" }, d, open, UNITS).report, false);
  assert.equal(taskControls({ role: "viewer", unit: "" }, d, open, UNITS).report, false);
});

test("who may review: supervisor and admin, only while a claim is pending", () => {
  const d = create(TaskDefinitionSchema, { responsibleUnits: ["区发展改革委"] });
  assert.equal(taskControls({ role: "supervisor", unit: "" }, d, TaskStatus.COMPLETION_CLAIMED, UNITS).review, true);
  assert.equal(taskControls({ role: "admin", unit: "" }, d, TaskStatus.COMPLETION_CLAIMED, UNITS).review, true);
  assert.equal(taskControls({ role: "supervisor", unit: "" }, d, TaskStatus.IN_PROGRESS, UNITS).review, false);
  assert.equal(taskControls({ role: "office", unit: "区发改委" }, d, TaskStatus.COMPLETION_CLAIMED, UNITS).review, false);
  assert.equal(taskControls({ role: "viewer", unit: "" }, d, TaskStatus.COMPLETION_CLAIMED, UNITS).review, false);
});

test("no one reviews their own report: the admin who claimed completion gets no review actions", () => {
  const d = create(TaskDefinitionSchema, { responsibleUnits: ["区发展改革委"] });
  const c = taskControls({ role: "admin", unit: "", user: "管理员甲" }, d, TaskStatus.COMPLETION_CLAIMED, UNITS, "管理员甲");
  assert.equal(c.review, false);
  assert.equal(c.noReviewKey, "task.ownReport");
  assert.equal(taskControls({ role: "admin", unit: "", user: "管理员乙" }, d, TaskStatus.COMPLETION_CLAIMED, UNITS, "管理员甲").review, true);
});
