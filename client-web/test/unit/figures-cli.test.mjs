// The web shows a figure with the same text as the CLI: every figure the real system stores from the
// seed documents (and a small 2023 report, for verdicts that are met and missed) is listed by the real
// `luoshi indicators query` / `series` / `compare`, and each line is rebuilt here from the same
// observations fetched through the gateway with connect-web, using the client's own formatter
// (src/figures, compiled by `npm test` into test-output/unit). Any difference fails.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { IngestionService } from "../../src/gen/luoshi/v1/ingestion_pb.js";
import { IndicatorService } from "../../src/gen/luoshi/v1/indicators_pb.js";
import { startSystem, identityHeaders, tokenFor, cliPath, repoRoot, sleep } from "../system.mjs";
import * as F from "../../test-output/unit/figures/index.js";

const SEEDS = ["000_b2f02a40eca629cb.txt", "001_8037fc1a01c9f5f1.txt", "002_751be6e086fe62a8.txt", "003_48cdf87d79a98d3c.txt", "004_bb9545a5710306fa.txt"];
// 2023 actuals of 大兴区 against the 2023 targets of seed 004 (地区生产总值增长4.5%以上, 一般公共预算收入104亿元 …).
export const REPORT_2023 = [
  "关于大兴区2023年国民经济和社会发展计划执行情况的报告",
  "",
  "一、2023年国民经济和社会发展计划执行情况",
  "2023年,全区地区生产总值同比增长5.2%。",
  "一般公共预算收入完成100.5亿元,同比增长3.1%。",
  "规上工业总产值同比增长6.3%。",
  "社会消费品零售额同比下降2.1%。",
  "",
].join("\n");

const ADMIN = { user: "格式对照", role: "admin" };

// services/tasks/format.cc CellsOf / PadRight: East Asian wide characters take two cells.
function cells(cp) {
  return cp >= 0x1100 &&
    (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
    ? 2
    : 1;
}
function padRight(text, width) {
  let have = 0;
  for (const ch of text) have += cells(ch.codePointAt(0));
  return have >= width ? text : text + " ".repeat(width - have);
}
// services/cli/commands_indicators.cc ObservationLine.
function observationLine(o, withIndicator = true) {
  const line = `${padRight(o.period, 12)} ${padRight(F.measureLabel(o.measure), 12)} ${padRight(F.statusLabel(o.status), 9)} ${F.formatObservationValue(o)}`;
  if (!withIndicator) return line;
  return `${padRight(line, 52)} ${o.indicatorId || o.surfaceName}`;
}

let system;
let indicators;
let failed = false;
function cli(...args) {
  return execFileSync(
    cliPath,
    [`--indicators_addr=127.0.0.1:${system.ports.indicators}`, `--token=${tokenFor(ADMIN)}`, "indicators", ...args],
    { encoding: "utf8", timeout: 30000 },
  );
}
function check(name, fn) {
  it(name, { timeout: 60000 }, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

describe("figure text: web formatter = CLI", { timeout: 180000 }, () => {
  before(async () => {
    system = await startSystem();
    const headers = identityHeaders(ADMIN);
    const transport = createGrpcWebTransport({
      baseUrl: system.gatewayUrl,
      useBinaryFormat: true,
      defaultTimeoutMs: 30000,
      interceptors: [(next) => (req) => (Object.entries(headers).forEach(([k, v]) => req.header.set(k, v)), next(req))],
    });
    const ingestion = createClient(IngestionService, transport);
    indicators = createClient(IndicatorService, transport);
    const files = SEEDS.map((s) => ({ name: s, content: readFileSync(join(repoRoot, "data", "seeds", s)) }));
    files.push({ name: "report-2023.txt", content: new TextEncoder().encode(REPORT_2023) });
    const ids = [];
    for (const f of files) ids.push((await ingestion.ingestDocument({ content: f.content, filename: f.name })).document.id);
    // Wait (bounded) until every document's figures reached the indicator service.
    const deadline = Date.now() + 30000;
    for (const id of ids) {
      for (;;) {
        const d = await ingestion.getDocument({ documentId: id });
        const del = d.deliveries.find((x) => x.target === "indicators");
        if (del && del.state !== 1) break;
        if (Date.now() > deadline) throw new Error(`${id}: figures not delivered in time`);
        await sleep(100);
      }
    }
  });
  after(async () => {
    if (failed && system) console.error(system.logs());
    await system?.stop();
  });

  check("every stored figure: `luoshi indicators query` lines rebuilt exactly", async () => {
    const observations = [];
    let pageToken = "";
    do {
      const res = await indicators.queryObservations({ page: { pageSize: 500, pageToken } });
      observations.push(...res.observations);
      pageToken = res.nextPageToken;
    } while (pageToken);
    assert.ok(observations.length > 100, `the seeds give many figures (${observations.length})`);
    const lines = cli("query").split("\n").filter((l) => l !== "");
    assert.equal(lines.at(-1), `${observations.length} figures`);
    const expected = observations.map((o) => `${padRight(o.region, 14)} ${observationLine(o)}`);
    assert.deepEqual(lines.slice(0, -1), expected);
    // The forms the issue names are among them.
    const texts = new Set(observations.map((o) => F.formatObservationValue(o)));
    assert.ok(texts.has("增长5.2%"), "增长5.2%");
    assert.ok(texts.has("下降3.2%"), "下降3.2%");
    assert.ok([...texts].some((x) => x.endsWith("≥4.5%")), "≥4.5%");
  });

  check("series lines (actuals and targets) rebuilt exactly", async () => {
    for (const [indicator, region] of [["gdp", "大兴区"], ["general_budget_revenue", "大兴区"], ["gdp", "北京市"]]) {
      for (const status of ["actual", "target"]) {
        const series = await indicators.getSeries({ indicatorId: indicator, region, status: status === "actual" ? 1 : 2 });
        const out = cli("series", indicator, region, "--status", status).split("\n");
        const lines = out.slice(1).filter((l) => l !== "" && !l.startsWith("    ↳") && l !== "no figures yet");
        assert.deepEqual(lines, series.points.map((p) => observationLine(p.observation, false)), `${indicator} ${region} ${status}`);
      }
    }
  });

  check("comparisons: verdict words and margins as the CLI's explanation", async () => {
    const { comparisons } = await indicators.compareTargets({ region: "大兴区", year: 2023 });
    const out = cli("compare", "--region", "大兴区", "--year", "2023").split("\n").filter((l) => l !== "");
    assert.equal(out.length, comparisons.length);
    const verdicts = new Set();
    comparisons.forEach((c, i) => {
      verdicts.add(c.verdict);
      assert.ok(out[i].startsWith(padRight(F.verdictLabel(c.verdict), 14)), out[i]);
      assert.ok(out[i].endsWith(c.explanation), out[i]);
      const words = F.marginWords(c.margin, c.verdict, "en");
      if (words && c.margin.value.unscaled !== 0n && !c.explanation.includes("within")) {
        assert.ok(c.explanation.endsWith(words), `${c.explanation} ends with ${words}`);
      }
    });
    assert.ok(verdicts.has(1) && verdicts.has(2), `met and not met among ${[...verdicts]}`);
  });
});
