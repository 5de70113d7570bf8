// Interoperability of the grpc-web gateway (issue 16) with a grpc-web client written elsewhere:
// @connectrpc/connect-web's grpc-web transport, binary format, over Node's fetch, using the code
// protoc-gen-es generates from proto/. The services and the gateway are the real binaries from the
// build tree (LUOSHI_BUILD_DIR, default ../build), each on a kernel-chosen port. Where it matters the
// test compares the gateway's answer with the same call made straight to the service over gRPC, so a
// difference means the gateway changed something on the way.
//
// Only Node 18 APIs (fetch, AbortController, node:test with hooks and timeouts).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { equals } from "@bufbuild/protobuf";
import { createClient, ConnectError, Code } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { IngestionService } from "../src/gen/luoshi/v1/ingestion_pb.js";
import { IndicatorService } from "../src/gen/luoshi/v1/indicators_pb.js";
import { TaskService, TaskStatus } from "../src/gen/luoshi/v1/tasks_pb.js";
import { startSystem, callDirect, identityHeaders, repoRoot, sleep, withTimeout } from "./system.mjs";

// The sample key-work division plan (2023年区政府工作报告重点工作分工方案): 121 numbered tasks.
const PLAN_SEED = "004_bb9545a5710306fa.txt";
const PLAN_TASKS = 121;

const CALL_TIMEOUT_MS = 15000; // every unary call, as grpc-timeout and as a local deadline
const DELIVERY_TIMEOUT_MS = 30000; // ingestion → tasks delivery
const EVENT_TIMEOUT_MS = 10000; // a WatchTasks event after its change

// connect's Code has no OK member: 0 is gRPC's OK as callDirect reports it.
const GRPC_OK = 0;

const ADMIN = { user: "接口测试管理员", role: "admin" };

// An ES256 token with a well-formed header and claims whose signature no key of the system made.
const b64url = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const FOREIGN_TOKEN = [
  b64url({ alg: "ES256", typ: "JWT", kid: "0000000000000000" }),
  b64url({ sub: "入侵者", luoshi_role: "admin", iat: 1700000000, exp: 4100000000, jti: "f".repeat(32) }),
  Buffer.alloc(64, 7).toString("base64url"),
].join(".");

let system;
let failed = false;

// A test body that records failure, so the after hook can print the services' logs only when useful.
function check(name, fn) {
  it(name, { timeout: 90000 }, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

// Sets the caller's identity on every request, as the browser client will.
function withIdentity(who) {
  const headers = identityHeaders(who);
  return (next) => (req) => {
    for (const [key, value] of Object.entries(headers)) req.header.set(key, value);
    return next(req);
  };
}

function grpcWeb(service, who) {
  const transport = createGrpcWebTransport({
    baseUrl: system.gatewayUrl,
    useBinaryFormat: true,
    defaultTimeoutMs: CALL_TIMEOUT_MS,
    interceptors: who ? [withIdentity(who)] : [],
  });
  return createClient(service, transport);
}

// Resolves to the ConnectError a call rejects with; fails if it succeeds.
async function connectError(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${err}`);
    return err;
  }
  assert.fail("the call succeeded; expected an error");
}

// The division plan, ingested through the gateway once and shared by the tests that need tasks.
let planPromise;
function importedPlan() {
  planPromise ??= (async () => {
    const ingestion = grpcWeb(IngestionService, ADMIN);
    const content = readFileSync(join(repoRoot, "data", "seeds", PLAN_SEED));
    const ingested = await ingestion.ingestDocument({ content, filename: PLAN_SEED });
    const tasks = grpcWeb(TaskService, ADMIN);
    // Delivery to the task service is asynchronous (ingestion's outbox): poll, bounded.
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    for (;;) {
      const { plans } = await tasks.listPlans({});
      const plan = plans.find((p) => p.documentId === ingested.document?.id);
      if (plan) return { ingested, plan };
      if (Date.now() > deadline) {
        throw new Error(`the plan of document ${ingested.document?.id} did not reach the task service in ${DELIVERY_TIMEOUT_MS} ms`);
      }
      await sleep(100);
    }
  })();
  return planPromise;
}

// The plan's tasks whose lead responsible unit is one plain office (not a collective such as
// 各部门、各单位), so an office identity can report on them; and the names of all plain offices.
async function officeTasks(planId) {
  const tasks = grpcWeb(TaskService, ADMIN);
  const { units } = await tasks.listUnits({});
  const offices = new Set(units.filter((u) => !u.collective).map((u) => u.name));
  const { tasks: all } = await tasks.listTasks({ filter: { planId }, page: { pageSize: 1000 } });
  const owned = all.filter((t) => offices.has(t.definition?.responsibleUnits[0] ?? ""));
  return { owned, offices: [...offices] };
}

describe("grpc-web through the gateway with connect-web (binary)", { timeout: 180000 }, () => {
  before(
    async () => {
      system = await startSystem();
    },
    { timeout: 90000 },
  );

  after(
    async () => {
      if (failed && system) console.error(`services' logs:\n${system.logs()}`);
      await system?.stop();
    },
    { timeout: 30000 },
  );

  check("the gateway is up and reaches every service (GET /healthz)", async () => {
    const res = await withTimeout(fetch(`${system.gatewayUrl}/healthz`), CALL_TIMEOUT_MS, "GET /healthz");
    assert.equal(res.status, 200, await res.clone().text());
    const health = await res.json();
    assert.equal(health.status, "SERVING");
  });

  check("unary: a division plan ingested through the gateway arrives as its 121 tasks", async () => {
    const { ingested, plan } = await importedPlan();
    assert.equal(ingested.created, true);
    assert.equal(ingested.document?.taskCount, PLAN_TASKS);
    assert.equal(ingested.extraction?.tasks.length, PLAN_TASKS);
    assert.equal(plan.taskCount, PLAN_TASKS);
    assert.match(plan.title, /重点工作分工方案/);

    // Identical bytes again: the same document, not a new one (the service's idempotence, intact
    // through the gateway).
    const ingestion = grpcWeb(IngestionService, ADMIN);
    const again = await ingestion.ingestDocument({
      content: readFileSync(join(repoRoot, "data", "seeds", PLAN_SEED)),
      filename: PLAN_SEED,
    });
    assert.equal(again.created, false);
    assert.equal(again.document?.id, ingested.document?.id);

    // The whole task list, through the gateway and directly: the same message.
    const tasks = grpcWeb(TaskService, ADMIN);
    const request = { filter: { planId: plan.id }, page: { pageSize: 1000 } };
    const viaGateway = await tasks.listTasks(request);
    assert.equal(viaGateway.total, PLAN_TASKS);
    assert.equal(viaGateway.tasks.length, PLAN_TASKS);
    const direct = await callDirect(system.ports.tasks, TaskService.method.listTasks, request, identityHeaders(ADMIN));
    assert.equal(direct.code, GRPC_OK, direct.message);
    assert.ok(equals(TaskService.method.listTasks.output, viaGateway, direct.responses[0]), "ListTasks differs from the direct call");

    // Paging as a list view does it: 50 at a time, following next_page_token.
    const paged = [];
    let pageToken = "";
    for (let pages = 0; pages < 10; pages++) {
      const page = await tasks.listTasks({ filter: { planId: plan.id }, page: { pageSize: 50, pageToken } });
      paged.push(...page.tasks.map((t) => t.id));
      pageToken = page.nextPageToken;
      if (!pageToken) break;
    }
    assert.deepEqual(paged, viaGateway.tasks.map((t) => t.id));

    // A large message (the document's whole text and every span) through the gateway and directly.
    const extractionRequest = { documentId: ingested.document.id };
    const extraction = await ingestion.getExtraction(extractionRequest);
    const directExtraction = await callDirect(
      system.ports.ingestion,
      IngestionService.method.getExtraction,
      extractionRequest,
      identityHeaders(ADMIN),
    );
    assert.equal(directExtraction.code, GRPC_OK, directExtraction.message);
    assert.ok(equals(IngestionService.method.getExtraction.output, extraction, directExtraction.responses[0]), "GetExtraction differs from the direct call");
  });

  check("unary: the indicator catalog reads the same through the gateway as directly", async () => {
    const indicators = grpcWeb(IndicatorService, ADMIN);
    const all = await indicators.listIndicators({});
    assert.ok(all.indicators.some((i) => i.id === "gdp"), "the catalog lists gdp");
    const direct = await callDirect(system.ports.indicators, IndicatorService.method.listIndicators, {}, identityHeaders(ADMIN));
    assert.equal(direct.code, GRPC_OK, direct.message);
    assert.ok(equals(IndicatorService.method.listIndicators.output, all, direct.responses[0]), "ListIndicators differs from the direct call");

    // A Chinese query in the request body.
    const found = await indicators.listIndicators({ query: "地区生产总值" });
    assert.ok(found.indicators.some((i) => i.id === "gdp"), "地区生产总值 finds gdp");

    const regions = await indicators.listRegions({});
    assert.ok(regions.regions.some((r) => r.name === "大兴区"), "the catalog lists 大兴区");
  });

  check("identity travels as a signed token in the authorization header; claimed headers are not identity", async () => {
    const { plan } = await importedPlan();
    const { owned } = await officeTasks(plan.id);
    // The last such task: the streaming test uses the first ones.
    const task = owned[owned.length - 1];
    const unit = task.definition.responsibleUnits[0];

    // No identity at all: the service refuses, the gateway must not make one up.
    const anonymous = await connectError(grpcWeb(TaskService).listPlans({}));
    assert.equal(anonymous.code, Code.Unauthenticated, anonymous.message);
    const anonymousDirect = await callDirect(system.ports.tasks, TaskService.method.listPlans, {});
    assert.equal(anonymous.rawMessage, anonymousDirect.message);
    // What once made anyone an administrator is now just a header the gateway drops.
    const claimed = await connectError(
      grpcWeb(TaskService).listPlans({}, { headers: { "x-luoshi-role": "admin", "x-luoshi-user": "admin" } }),
    );
    assert.equal(claimed.code, Code.Unauthenticated, claimed.message);
    // A token signed with another key is refused, saying why.
    const forged = await connectError(
      grpcWeb(TaskService).listPlans({}, { headers: { authorization: `Bearer ${FOREIGN_TOKEN}` } }),
    );
    assert.equal(forged.code, Code.Unauthenticated, forged.message);
    assert.match(forged.rawMessage, /token refused/);

    // Per-call headers work as well as an interceptor.
    const viewerHeaders = identityHeaders({ user: "浏览者", role: "viewer" });
    const plans = await grpcWeb(TaskService).listPlans({}, { headers: viewerHeaders });
    assert.ok(plans.plans.some((p) => p.id === plan.id));
    const readOnly = await connectError(
      grpcWeb(TaskService).reportProgress({ taskId: task.id, progress: { case: "percent", value: 5 } }, { headers: viewerHeaders }),
    );
    assert.equal(readOnly.code, Code.PermissionDenied, readOnly.message);

    // The office responsible for the task reports; the service records who, decoded back to Chinese.
    const office = grpcWeb(TaskService, { user: "王科员", unit, role: "office" });
    const reported = await office.reportProgress({
      taskId: task.id,
      progress: { case: "percent", value: 30 },
      narrative: "已完成方案编制",
    });
    assert.equal(reported.percentComplete, 30);
    assert.equal(reported.status, TaskStatus.IN_PROGRESS);
    const detail = await grpcWeb(TaskService, ADMIN).getTask({ id: task.id });
    assert.equal(detail.reports[0]?.unit, unit);
    assert.equal(detail.reports[0]?.reporter, "王科员");
    assert.equal(detail.reports[0]?.narrative, "已完成方案编制");
  });

  check("server streaming: ExportTasks arrives whole, byte for byte as from the service", async () => {
    const { plan } = await importedPlan();
    const request = { what: { case: "tasks", value: { planId: plan.id } } };
    const parts = [];
    for await (const chunk of grpcWeb(TaskService, ADMIN).exportTasks(request, { timeoutMs: CALL_TIMEOUT_MS })) {
      parts.push(chunk.data);
    }
    const direct = await callDirect(system.ports.tasks, TaskService.method.exportTasks, request, identityHeaders(ADMIN));
    assert.equal(direct.code, GRPC_OK, direct.message);
    const csv = Buffer.concat(parts);
    assert.ok(csv.equals(Buffer.concat(direct.responses.map((c) => c.data))), "the CSV differs from the direct call");
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM first");
  });

  check("server streaming: WatchTasks yields each change as it happens; a cancel leaves the gateway healthy", async () => {
    const { plan } = await importedPlan();
    const { owned } = await officeTasks(plan.id);
    assert.ok(owned.length >= 2, "the plan has tasks of plain offices");
    const [first, second] = owned;
    const office = grpcWeb(TaskService, { user: "李科员", unit: first.definition.responsibleUnits[0], role: "office" });
    const admin = grpcWeb(TaskService, ADMIN);

    const controller = new AbortController();
    let sawHeaders;
    const headersArrived = new Promise((r) => (sawHeaders = r));
    const events = grpcWeb(TaskService, { user: "看板", role: "viewer" })
      .watchTasks({ filter: { planId: plan.id } }, { signal: controller.signal, timeoutMs: 60000, onHeader: sawHeaders })
      [Symbol.asyncIterator]();
    try {
      // next() starts the call. The service sends its headers once the subscription is live; a
      // gateway may pass them on at once or only with the first message, which the protocol allows.
      // So: wait briefly for the headers, then report, and if no event comes, report again — the
      // watch must not miss a change made after it is live.
      let pending = events.next();
      pending.catch(() => {}); // observed below; avoid an unhandled rejection while we wait
      await Promise.race([headersArrived, sleep(2000)]);
      const reportedPercents = new Set();
      let event;
      for (let percent = 10; !event; percent++) {
        assert.ok(percent < 10 + EVENT_TIMEOUT_MS / 500, `no WatchTasks event within ${EVENT_TIMEOUT_MS} ms of reporting on ${first.id}`);
        const task = await office.reportProgress({
          taskId: first.id,
          progress: { case: "percent", value: percent },
          narrative: "完成选址",
        });
        assert.equal(task.percentComplete, percent);
        reportedPercents.add(percent);
        event = await Promise.race([pending, sleep(500).then(() => undefined)]);
      }
      assert.equal(event.done, false, "the stream ended instead of yielding the event");
      assert.equal(event.value.action, "report");
      assert.equal(event.value.task?.id, first.id);
      assert.ok(reportedPercents.has(event.value.task.percentComplete));

      // The first event has arrived; only now make the second change (admins may report on any task).
      const changedAt = Date.now();
      await admin.reportProgress({ taskId: second.id, progress: { case: "percent", value: 55 } });
      let secondEvent;
      while (!secondEvent) {
        const left = EVENT_TIMEOUT_MS - (Date.now() - changedAt);
        const r = await withTimeout(events.next(), Math.max(left, 1), `the WatchTasks event for ${second.id}`);
        assert.equal(r.done, false, "the stream ended instead of yielding the second event");
        if (r.value.task?.id === first.id) {
          // A repeat report on the first task from the loop above, delivered late: allowed.
          assert.ok(reportedPercents.has(r.value.task.percentComplete));
          continue;
        }
        secondEvent = r.value;
      }
      assert.equal(secondEvent.task?.id, second.id);
      assert.equal(secondEvent.task?.percentComplete, 55);
      assert.equal(secondEvent.task?.status, TaskStatus.IN_PROGRESS);

      // The browser goes away: the client sees a cancel, and the gateway carries on.
      controller.abort();
      const cancelled = await connectError(withTimeout(events.next(), EVENT_TIMEOUT_MS, "the aborted WatchTasks to end"));
      assert.equal(cancelled.code, Code.Canceled, cancelled.message);
    } finally {
      controller.abort();
    }
    const health = await withTimeout(fetch(`${system.gatewayUrl}/healthz`), CALL_TIMEOUT_MS, "GET /healthz after the cancel");
    assert.equal(health.status, 200, await health.text());
    const afterCancel = await admin.getTask({ id: second.id });
    assert.equal(afterCancel.task?.percentComplete, 55);
  });

  check("errors keep their code and their non-ASCII message", async () => {
    const tasks = grpcWeb(TaskService, ADMIN);
    const missing = await connectError(tasks.getTask({ id: "任务不存在" }));
    assert.equal(missing.code, Code.NotFound, missing.message);
    const direct = await callDirect(system.ports.tasks, TaskService.method.getTask, { id: "任务不存在" }, identityHeaders(ADMIN));
    assert.equal(direct.code, Code.NotFound);
    assert.equal(missing.rawMessage, direct.message);
    assert.match(missing.rawMessage, /任务不存在/);

    // An office reporting on another office's task: PERMISSION_DENIED naming both units in Chinese.
    const { plan } = await importedPlan();
    const { owned, offices } = await officeTasks(plan.id);
    const task = owned[0];
    const stranger = offices.find((o) => !task.definition.responsibleUnits.includes(o));
    const request = { taskId: task.id, progress: { case: "percent", value: 1 } };
    const who = { user: "张科员", unit: stranger, role: "office" };
    const denied = await connectError(grpcWeb(TaskService, who).reportProgress(request));
    assert.equal(denied.code, Code.PermissionDenied, denied.message);
    const deniedDirect = await callDirect(system.ports.tasks, TaskService.method.reportProgress, request, identityHeaders(who));
    assert.equal(denied.rawMessage, deniedDirect.message);
    assert.ok(denied.rawMessage.includes(stranger), denied.rawMessage);
  });

  check("an unknown method or service answers UNIMPLEMENTED, trailers-only with HTTP 200", async () => {
    for (const path of ["/luoshi.v1.TaskService/NoSuchMethod", "/luoshi.v1.NoSuchService/NoSuchMethod"]) {
      const res = await withTimeout(
        fetch(`${system.gatewayUrl}${path}`, {
          method: "POST",
          headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", ...identityHeaders(ADMIN) },
          body: new Uint8Array(5), // one empty message frame
        }),
        CALL_TIMEOUT_MS,
        `POST ${path}`,
      );
      const body = new Uint8Array(await withTimeout(res.arrayBuffer(), CALL_TIMEOUT_MS, `the body of ${path}`));
      assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
      assert.equal(res.headers.get("grpc-status"), String(Code.Unimplemented), `${path}: grpc-status`);
      assert.equal(body.length, 0, `${path}: a trailers-only response has an empty body`);
    }
  });
});
