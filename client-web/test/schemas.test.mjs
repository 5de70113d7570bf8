// The generated TypeScript schemas agree with the C++ side on the wire: build messages, encode them in
// binary (what grpc-web sends), decode them back, and check the canonical JSON names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary, fromBinary, toJson } from "@bufbuild/protobuf";
import { ObservationSchema } from "../src/gen/luoshi/v1/indicators_pb.js";
import { ReportProgressRequestSchema, TaskService } from "../src/gen/luoshi/v1/tasks_pb.js";
import { Measure, Bound, ObservationStatus } from "../src/gen/luoshi/v1/common_pb.js";
import { IngestionService } from "../src/gen/luoshi/v1/ingestion_pb.js";

test("an observation survives a binary round trip with its exact decimal", () => {
  const obs = create(ObservationSchema, {
    indicatorId: "gdp",
    region: "大兴区",
    period: "2020H1",
    measure: Measure.LEVEL,
    value: { value: { unscaled: 13348n, scale: 1 }, unit: "亿元" },
    bound: Bound.EXACT,
    status: ObservationStatus.ACTUAL,
    provenance: { sentence: "地区生产总值总量完成1334.8亿元", span: { begin: 10, end: 18 } },
  });
  const back = fromBinary(ObservationSchema, toBinary(ObservationSchema, obs));
  assert.equal(back.value?.value?.unscaled, 13348n);
  assert.equal(back.value?.unit, "亿元");
  assert.equal(back.provenance?.span?.end, 18);
  const json = toJson(ObservationSchema, back);
  assert.equal(json.indicatorId, "gdp");
  assert.equal(json.measure, "MEASURE_LEVEL");
});

test("oneof progress is either a percent or a stage", () => {
  const req = create(ReportProgressRequestSchema, { taskId: "t1", progress: { case: "percent", value: 40 } });
  const back = fromBinary(ReportProgressRequestSchema, toBinary(ReportProgressRequestSchema, req));
  assert.deepEqual(back.progress, { case: "percent", value: 40 });
});

test("service descriptors list the methods the gateway will translate", () => {
  assert.ok(TaskService.method.watchTasks, "WatchTasks");
  assert.equal(TaskService.method.watchTasks.methodKind, "server_streaming");
  assert.equal(TaskService.typeName, "luoshi.v1.TaskService");
  assert.ok(IngestionService.method.ingestDocument);
});
