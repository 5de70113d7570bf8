// Unit tests of the shell's own logic (routing, sessions, error sentences, lights, health), against
// src/ compiled by scripts/compile-unit.mjs (run by `npm test` first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectError, Code } from "@connectrpc/connect";

const unit = new URL("../../test-output/unit/", import.meta.url);
const { parseHash, href } = await import(new URL("app/router.js", unit));
const { decodeToken, isExpired, homeHash, mayReport, mayReview } = await import(new URL("app/session.js", unit));
const { statusSentence, errorSentence, codeName } = await import(new URL("app/errors.js", unit));
const { setLang, t } = await import(new URL("app/i18n.js", unit));
const { lightName, lightRank, LIGHT_COLOURS, statusFromKey } = await import(new URL("app/lights.js", unit));
const { healthSummary } = await import(new URL("app/health.js", unit));
const { formatTime, monthOf } = await import(new URL("app/format.js", unit));
const { Light, TaskStatus } = await import(new URL("gen/luoshi/v1/tasks_pb.js", unit));

const b64url = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = (payload) => [b64url({ alg: "ES256", typ: "JWT", kid: "x" }), b64url(payload), "c2ln"].join(".");

test("routes: page, path segments and query from the hash", () => {
  assert.deepEqual(
    { ...parseHash("#/task/T56"), params: parseHash("#/task/T56").params.toString() },
    { name: "task", path: ["T56"], params: "" },
  );
  const board = parseHash("#/board?plan=P1&unit=%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80&light=red");
  assert.equal(board.name, "board");
  assert.equal(board.params.get("unit"), "区财政局");
  assert.equal(board.params.get("light"), "red");
  assert.equal(parseHash("").name, "");
  assert.equal(parseHash("#").name, "");
  assert.equal(parseHash("#/document/doc-0123%2F").path[0], "doc-0123/");
  assert.deepEqual(parseHash("#/x/%E0%A4%A").path, ["%E0%A4%A"], "a bad escape is kept, not thrown");
});

test("routes: href leaves out empty values and round-trips through parseHash", () => {
  assert.equal(href("board"), "#/board");
  assert.equal(href("task", ["T5"]), "#/task/T5");
  const h = href("targets", [], { region: "大兴区", year: "2023", empty: "", none: undefined });
  assert.equal(h, "#/targets?region=%E5%A4%A7%E5%85%B4%E5%8C%BA&year=2023");
  const back = parseHash(h);
  assert.equal(back.params.get("region"), "大兴区");
  assert.equal(back.params.has("empty"), false);
});

test("tokens: the payload is decoded for display (UTF-8 names), expiry is checked", () => {
  const token = jwt({ sub: "张三", luoshi_unit: "区农业农村局", luoshi_role: "office", exp: 2000000000, jti: "a".repeat(32) });
  const c = decodeToken(token);
  assert.equal(c.user, "张三");
  assert.equal(c.unit, "区农业农村局");
  assert.equal(c.role, "office");
  assert.equal(isExpired(c, 1999999999000), false);
  assert.equal(isExpired(c, 2000000000000), true);
  assert.equal(isExpired({ ...c, exp: 0 }), false, "no exp: the server decides");
});

test("tokens: not a JWT, or no role, is refused with a reason", () => {
  setLang("zh");
  assert.throws(() => decodeToken("hello"), /格式不正确/);
  assert.throws(() => decodeToken("a.b"), /格式不正确/);
  assert.throws(() => decodeToken("a.b=.c"), /格式不正确/);
  assert.throws(() => decodeToken(["x", Buffer.from("not json").toString("base64url"), "y"].join(".")), /格式不正确/);
  assert.throws(() => decodeToken(jwt({ sub: "x" })), /没有角色/);
});

test("errors: plain Chinese sentence with the gRPC status and the server's message", () => {
  setLang("zh");
  assert.equal(
    statusSentence(7, "role viewer may not report progress"),
    "没有权限（PERMISSION_DENIED）：role viewer may not report progress",
  );
  assert.equal(statusSentence(5, ""), "没有找到（NOT_FOUND）。");
  const err = new ConnectError("任务 T999 不存在", Code.NotFound);
  assert.equal(errorSentence(err), "没有找到（NOT_FOUND）：任务 T999 不存在");
  assert.match(errorSentence(new TypeError("Failed to fetch")), /无法连接服务器（Failed to fetch）/);
  assert.match(errorSentence(ConnectError.from(new TypeError("Failed to fetch"))), /^无法连接服务器（Failed to fetch）。请检查网关/);
  assert.equal(codeName(16), "UNAUTHENTICATED");
  assert.equal(codeName(99), "CODE_99");
  setLang("en");
  assert.equal(statusSentence(9, "task is done"), "Not possible in the current state (FAILED_PRECONDITION): task is done");
  setLang("zh");
});

test("every status code has words in both languages", () => {
  for (let code = 1; code <= 16; code++) {
    for (const lang of ["zh", "en"]) {
      setLang(lang);
      assert.notEqual(t(`code.${codeName(code)}`), `code.${codeName(code)}`);
    }
  }
  setLang("zh");
});

test("lights: DONE shows done; otherwise the server's light; worst first", () => {
  assert.equal(lightName(Light.GREEN, TaskStatus.DONE), "done");
  assert.equal(lightName(Light.RED, TaskStatus.IN_PROGRESS), "red");
  assert.equal(lightName(Light.YELLOW, TaskStatus.NOT_STARTED), "yellow");
  assert.equal(lightName(Light.GREEN, TaskStatus.RETURNED), "green");
  assert.equal(lightName(Light.UNSPECIFIED, TaskStatus.NOT_STARTED), "none");
  assert.ok(lightRank("red") < lightRank("yellow") && lightRank("yellow") < lightRank("green"));
  assert.equal(new Set(Object.values(LIGHT_COLOURS)).size, 5, "each light its own colour");
  assert.equal(statusFromKey("COMPLETION_CLAIMED"), TaskStatus.COMPLETION_CLAIMED);
  assert.equal(statusFromKey("nonsense"), TaskStatus.UNSPECIFIED);
});

test("health: what is down", () => {
  assert.deepEqual(healthSummary({ status: "SERVING", gateway: "SERVING", services: { tasks: "SERVING" } }), { ok: true, down: [] });
  assert.deepEqual(healthSummary({ gateway: "SERVING", services: { tasks: "UNREACHABLE" } }), { ok: false, down: ["tasks"] });
  assert.deepEqual(healthSummary(null), { ok: false, down: ["gateway"] });
});

test("times are shown in China Standard Time", () => {
  assert.equal(formatTime(Date.UTC(2023, 4, 12, 16, 3)), "2023-05-13 00:03");
  assert.equal(monthOf(Date.UTC(2023, 4, 31, 17, 0)), "2023-06");
  assert.equal(formatTime(0), "");
});

test("where each role starts, and what each role may do at all", () => {
  assert.equal(homeHash({ role: "office", unit: "区财政局" }), "#/board?unit=%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80");
  assert.equal(homeHash({ role: "supervisor", unit: "" }), "#/board");
  assert.equal(homeHash(undefined), "#/board");
  assert.deepEqual(["admin", "supervisor", "office", "viewer"].map(mayReport), [true, false, true, false]);
  assert.deepEqual(["admin", "supervisor", "office", "viewer"].map(mayReview), [true, true, false, false]);
});
