import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// health.ts is plain TypeScript: compile it with the project's tsc into a temp dir and test the output.
const out = mkdtempSync(join(tmpdir(), "luoshi-web-"));
execFileSync("npx", ["tsc", "src/health.ts", "--outDir", out, "--module", "ES2020", "--target", "ES2020"], {
  stdio: "inherit",
});
// tsc writes ES module syntax to .js files; Node 18 loads .js as an ES module only under a package.json
// that says so (Node 20 detects it on its own).
writeFileSync(join(out, "package.json"), '{"type":"module"}\n');
const { healthRows } = await import(join(out, "health.js"));

test("rows list the gateway and each service with its state", () => {
  const rows = healthRows({ status: "DEGRADED", gateway: "SERVING", services: { tasks: "UNREACHABLE" } });
  assert.deepEqual(rows, [
    { service: "gateway", state: "SERVING" },
    { service: "tasks", state: "UNREACHABLE" },
  ]);
});

test("garbage from the network gives no rows instead of an exception", () => {
  assert.deepEqual(healthRows(null), []);
  assert.deepEqual(healthRows("oops"), []);
});
