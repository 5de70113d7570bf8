// Shared harness of the end-to-end tests in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) against the real gateway and services (system.mjs):
//   const web = await startWebSystem();        // builds the client into a fresh dir, starts everything
//   const browser = await launchBrowser();
//   const page = await newPage(browser, "desktop");   // 1366×768, or "phone" 375×667
//   await signInByLink(page, web.system.gatewayUrl, tokenFor({ role: "supervisor", user: "督查员" }));
//   await expectAccessible(page, "board");      // axe-core: no serious/critical violations
//   await screenshot(page, "board", "desktop"); // test-output/screenshots/board-desktop.png
//   await importSeedPlan(web.system, "004_bb9545a5710306fa.txt", { role: "admin", user: "…" });
// Everything started here stops in stopWeb(); ports are all ephemeral.
import { it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { startSystem, identityHeaders, repoRoot, sleep } from "./system.mjs";

export const clientWeb = dirname(dirname(fileURLToPath(import.meta.url)));
export const outputDir = join(clientWeb, "test-output");
export const screenshotDir = join(outputDir, "screenshots");
export const CHROMIUM = process.env.LUOSHI_CHROMIUM ?? "/usr/bin/chromium";

export const SIZES = {
  desktop: { width: 1366, height: 768 },
  phone: { width: 375, height: 667 },
};

// Builds the client (vite) into a directory of its own under test-output/, so tests running in
// parallel never share or race on one dist/. Needs src/gen (npm test runs `generate` first).
export async function buildClient() {
  mkdirSync(outputDir, { recursive: true });
  const outDir = mkdtempSync(join(outputDir, "dist-"));
  const { build } = await import("vite");
  await build({ root: clientWeb, logLevel: "error", build: { outDir, emptyOutDir: true } });
  return outDir;
}

// The built client served by the real system. Resolves to { system, webRoot, stop() }.
// gatewayArgs: more gateway flags (e.g. "--grpc_max_timeout=8s" so streams end and reconnect).
export async function startWebSystem({ gatewayArgs = [] } = {}) {
  const webRoot = await buildClient();
  let system;
  try {
    system = await startSystem({ webRoot, gatewayArgs });
  } catch (err) {
    rmSync(webRoot, { recursive: true, force: true });
    throw err;
  }
  return {
    system,
    webRoot,
    async stop() {
      await system.stop();
      rmSync(webRoot, { recursive: true, force: true });
    },
  };
}

// The steps of one end-to-end file: `step(name, fn)` is a test that, when it throws, marks the run
// failed (the file's after-hook then prints the services' logs).
export function stepsWithTimeout(timeout) {
  const run = { failed: false };
  run.step = (name, fn) =>
    it(name, { timeout }, async () => {
      try {
        await fn();
      } catch (err) {
        run.failed = true;
        throw err;
      }
    });
  return run;
}

export function chromiumAvailable() {
  return existsSync(CHROMIUM);
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

// A page in a fresh context (its own localStorage: its own signed-in user) at one of SIZES.
// Console errors and failed page scripts are collected in page.luoshiErrors.
export async function newPage(browser, size = "desktop") {
  const context = await browser.newContext({ viewport: SIZES[size], locale: "zh-CN", acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.luoshiErrors = [];
  page.on("pageerror", (err) => page.luoshiErrors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") page.luoshiErrors.push(`console: ${msg.text()}`);
  });
  return page;
}

// Signs in through the quick start's link (#/signin?token=…) and waits for the header to show the user.
export async function signInByLink(page, baseUrl, token, next = "") {
  const q = new URLSearchParams({ token });
  if (next) q.set("next", next);
  await page.goto(`${baseUrl}/#/signin?${q}`);
  await page.locator(".who-user").waitFor();
  assert.ok(!page.url().includes("token="), `the token must leave the address: ${page.url()}`);
}

const AXE = join(clientWeb, "node_modules", "axe-core", "axe.min.js");

// Runs axe-core in the page; fails on any serious or critical violation (listing them). Returns all
// violations for the caller to print.
export async function expectAccessible(page, label) {
  await page.addScriptTag({ content: readFileSync(AXE, "utf8") });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " — " + n.failureSummary),
    }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${label}: accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
  return result;
}

export async function screenshot(page, name, size) {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}-${size}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

// A connect-web client of `service` through the gateway, signed in as `who` ({ user, unit, role }).
export function clientAs(system, service, who) {
  const headers = identityHeaders(who);
  const transport = createGrpcWebTransport({
    baseUrl: system.gatewayUrl,
    useBinaryFormat: true,
    defaultTimeoutMs: 30000,
    interceptors: [
      (next) => (req) => {
        for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
        return next(req);
      },
    ],
  });
  return createClient(service, transport);
}

// Uploads data/seeds/<seed> through the gateway as `who` and waits (bounded) until its plan reached
// the task service. Resolves to { document, plan }.
export async function importSeedPlan(system, seed, who, timeoutMs = 30000) {
  const { IngestionService } = await import("../src/gen/luoshi/v1/ingestion_pb.js");
  const { TaskService } = await import("../src/gen/luoshi/v1/tasks_pb.js");
  const ingestion = clientAs(system, IngestionService, who);
  const tasks = clientAs(system, TaskService, who);
  const content = readFileSync(join(repoRoot, "data", "seeds", seed));
  const ingested = await ingestion.ingestDocument({ content, filename: seed });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { plans } = await tasks.listPlans({});
    const plan = plans.find((p) => p.documentId === ingested.document?.id);
    if (plan) return { document: ingested.document, plan };
    if (Date.now() > deadline) throw new Error(`the plan of ${seed} did not reach the task service in ${timeoutMs} ms`);
    await sleep(100);
  }
}
