// End to end, in a real headless Chromium against the real gateway and services (ports 0, temporary
// databases): the document and indicator pages. A supervisor uploads through the page's file input
// (a 2023 report in GB18030 bytes and the 2023 division plan) and by dropping a file, sees an
// unreadable file refused in plain Chinese with its status, opens the report and its highlighted
// figures, reads one, follows it to its series chart, follows a table row back to its sentence,
// reprocesses with a year, and opens the 2023 targets of 大兴区 with their verdicts. A viewer sees
// neither upload nor reprocess. A figure read from a Word table names its cell. axe-core on every page; screenshots of each page at both sizes in
// test-output/screenshots/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tokenFor, repoRoot } from "./system.mjs";
import {
  stepsWithTimeout,
  startWebSystem,
  launchBrowser,
  newPage,
  signInByLink,
  expectAccessible,
  screenshot,
  chromiumAvailable,
  CHROMIUM,
} from "./browser.mjs";

// 关于大兴区2023年国民经济和社会发展计划执行情况的报告 with four 2023 actuals (地区生产总值增长5.2%,
// 一般公共预算收入100.5亿元 …), encoded in GB18030 as offices' older systems write it.
const REPORT_2023_GB18030 = Buffer.from(
  "udjT2rTz0MvH+DIwMjPE6rn6w/G+rbzDus3J57vht6LVubzGu67WtNDQx+m/9rXEsai45goK0ruhojIwMjPE6rn6w/G+rbzDus3J57vht6LVubzGu67WtNDQx+m/9goyMDIzxOosyKvH+LXYx/jJ+rL619zWtc2sscjU9rOkNS4yJaGjCtK7sOO5q7my1KTL48rVyOvN6rPJMTAwLjXS2tSqLM2sscjU9rOkMy4xJaGjCrnmyc+5pNK119yy+ta1zayxyNT2s6Q2LjMloaMKyee74c/7t9HGt8Hjytu27s2sscjPwr21Mi4xJaGjCg==",
  "base64",
);
const REPORT_TITLE = "关于大兴区2023年国民经济和社会发展计划执行情况的报告";
const PLAN_SEED = "004_bb9545a5710306fa.txt"; // 2023年区政府工作报告重点工作分工方案: the 2023 targets
const DROPPED_SEED = "000_b2f02a40eca629cb.txt"; // 大兴区2020年上半年执行情况
const ANNUAL_SEED = "001_8037fc1a01c9f5f1.txt"; // 大兴区2024年执行情况与2025年计划: more points on the chart

const SUPERVISOR = { user: "督查室王敏", unit: "区政府督查室", role: "supervisor" };
const VIEWER = { user: "来访者", role: "viewer" };

const skip = chromiumAvailable() ? false : `no Chromium at ${CHROMIUM}`;

let web;
let browser;
const run = stepsWithTimeout(60000);
const step = run.step;

async function waitIdle(page) {
  // No loading state left on the page.
  await page.waitForFunction(() => !document.querySelector(".state.loading"), null, { timeout: 15000 });
}

describe("documents and indicators in Chromium against the real system", { skip, timeout: 120000 }, () => {
  let page;
  let reportUrl = "";

  before(async () => {
    web = await startWebSystem();
    browser = await launchBrowser();
    page = await newPage(browser, "desktop");
  });
  after(async () => {
    if (run.failed && web) console.error(web.system.logs());
    await browser?.close();
    await web?.stop();
  });

  step("upload through the file input and by drop: results per file, a refused file in plain words", async () => {
    const base = web.system.gatewayUrl;
    await signInByLink(page, base, tokenFor(SUPERVISOR), "#/documents");
    await page.locator("#drop-zone").waitFor();
    await page.getByText("还没有上传任何文件。").waitFor();
    await page.setInputFiles("#doc-files", [
      { name: "大兴区2023年计划执行情况报告.txt", mimeType: "text/plain", buffer: REPORT_2023_GB18030 },
      { name: PLAN_SEED, mimeType: "text/plain", buffer: readFileSync(join(repoRoot, "data", "seeds", PLAN_SEED)) },
      { name: ANNUAL_SEED, mimeType: "text/plain", buffer: readFileSync(join(repoRoot, "data", "seeds", ANNUAL_SEED)) },
      { name: "扫描件.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n") },
    ]);
    // Dropping a file on the zone does the same.
    const dropped = readFileSync(join(repoRoot, "data", "seeds", DROPPED_SEED)).toString("base64");
    const transfer = await page.evaluateHandle(
      ({ name, b64 }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, { type: "text/plain" }));
        return dt;
      },
      { name: DROPPED_SEED, b64: dropped },
    );
    await page.locator(".upload-item.ok, .upload-item.bad").nth(3).waitFor({ timeout: 30000 });
    await page.dispatchEvent("#drop-zone", "drop", { dataTransfer: transfer });
    await page.locator(".upload-item.ok").nth(3).waitFor({ timeout: 30000 });
    await page.locator(".upload-item.bad").waitFor();
    const refused = await page.locator(".upload-item.bad").innerText();
    assert.match(refused, /上传失败/);
    assert.match(refused, /INVALID_ARGUMENT/, refused);
    const report = page.locator(".upload-item.ok", { hasText: "大兴区2023年计划执行情况报告.txt" });
    assert.match(await report.innerText(), /已入库：\d+ 个指标数据/);
    // The list shows the four stored documents; deliveries settle without a reload.
    await page.locator(".doc-table tbody tr").nth(3).waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes("等待送达"), null, { timeout: 20000 });
    const listText = await page.locator(".doc-table").innerText();
    assert.match(listText, new RegExp(REPORT_TITLE));
    assert.match(listText, /重点工作分工方案/);
    assert.match(listText, /已送达/);
    await expectAccessible(page, "documents");
    reportUrl = await report.locator("a").getAttribute("href");
    assert.ok(reportUrl?.startsWith("#/document/doc-"), reportUrl);
    await page.reload();
    await page.locator(".doc-table tbody tr").nth(3).waitFor();
    await screenshot(page, "documents", "desktop");
    // Filters live in the URL: the division plans only, then back to all of them.
    await page.locator(".doc-filters select").selectOption("3");
    await page.locator(".doc-filters button[type=submit]").click();
    await page.waitForFunction(() => location.hash.includes("type=3") && document.querySelectorAll(".doc-table tbody tr").length === 1);
    assert.match(await page.locator(".doc-table").innerText(), /重点工作分工方案/);
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll(".doc-table tbody tr").length === 4);
  });

  step("the report's page: figures highlighted, one read, its series charted, a table row back to its sentence", async () => {
    await page.locator(".doc-table a", { hasText: REPORT_TITLE }).click();
    await page.locator(".doc-text button.fig").first().waitFor();
    assert.equal(await page.locator("h1").innerText(), REPORT_TITLE);
    assert.ok((await page.locator(".doc-text button.fig").count()) >= 4);
    // The GB18030 bytes were read as such: the text is the report's.
    assert.match(await page.locator(".doc-text").innerText(), /全区地区生产总值同比增长5\.2%/);
    await page.locator(".doc-text button.fig", { hasText: "5.2%" }).first().click();
    const reading = page.locator(".reading-panel");
    await reading.locator(".fig-value").waitFor();
    const text = await reading.innerText();
    assert.match(text, /增长5\.2%/); // the CLI's text for the figure
    assert.match(text, /地区生产总值/);
    assert.match(text, /增速/);
    assert.match(text, /2023年/);
    assert.match(text, /实际/);
    assert.match(page.url(), /figure=\d+/);
    // Its sentence is highlighted in the text (CSS Custom Highlight API).
    const marked = await page.evaluate(() => [...CSS.highlights.get("fx-sentence")][0].toString());
    assert.equal(marked, "2023年,全区地区生产总值同比增长5.2%。");
    // Keyboard: Tab reaches the figures, Enter reads one.
    await page.locator(".doc-text button.fig", { hasText: "100.5亿元" }).focus();
    await page.keyboard.press("Enter");
    await reading.getByText("一般公共预算收入").first().waitFor();
    await page.locator(".doc-text button.fig", { hasText: "5.2%" }).first().focus();
    await page.keyboard.press("Enter");
    await reading.locator(".fig-value", { hasText: "增长5.2%" }).waitFor();
    await expectAccessible(page, "document");
    await screenshot(page, "document", "desktop");

    await reading.locator("a.series-link").click();
    await page.locator(".chart canvas").first().waitFor();
    assert.match(page.url(), /#\/indicators\?indicator=gdp/);
    assert.match(await page.locator("h1").innerText(), /地区生产总值/);
    const rows = page.locator(".series-table tbody tr");
    assert.ok((await rows.count()) >= 2, "the 2023 actual and the 2023 target");
    const tableText = await page.locator(".series-table").innerText();
    assert.match(tableText, /增长5\.2%/);
    assert.match(tableText, /增长≥4\.5%/);
    await expectAccessible(page, "indicators");
    await screenshot(page, "indicators", "desktop");
    // The figures as CSV (ExportObservations), the server's BOM kept for Excel.
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".table-head button").click()]);
    assert.match(download.suggestedFilename(), /^地区生产总值-大兴区\.csv$/);
    const csv = readFileSync(await download.path(), "utf8");
    assert.ok(csv.startsWith("\ufeff"), "BOM first");
    assert.match(csv, /5\.2/);
    assert.match(csv, /4\.5/);
    // Search by alias and by part of a name: an alias resolves, several matches are offered.
    await page.locator("#ind-input").fill("一般公共预算");
    await page.locator("#region-input").fill("大兴");
    await page.locator("form.fx-filters button[type=submit]").click();
    await page.waitForFunction(() => location.hash.includes("indicator=general_budget_revenue"));
    await page.locator(".series-table tbody tr").first().waitFor();
    assert.match(await page.locator("h1").innerText(), /一般公共预算收入 · 大兴区/);
    await page.locator("#ind-input").fill("地区生产");
    await page.locator("form.fx-filters button[type=submit]").click();
    assert.ok((await page.locator(".choices li").count()) >= 2);
    await page.locator(".choices a", { hasText: /^地区生产总值（gdp/ }).click();
    await page.waitForFunction(() => location.hash.includes("indicator=gdp"));
    await page.locator(".series-table a.fig-link", { hasText: "增长≥4.5%" }).waitFor();
    // The target's value links to its sentence in the plan.
    await page.locator(".series-table a.fig-link", { hasText: "增长≥4.5%" }).click();
    await page.locator(".doc-text button.fig.selected").waitFor();
    assert.match(await page.locator(".reading-panel").innerText(), /比上年增长4\.5%以上/);
    assert.match(await page.locator("h1").innerText(), /重点工作分工方案/);
  });

  step("reprocess with a year; the 2023 targets of 大兴区 with verdicts, margins and a refused query", async () => {
    await page.goto(`${web.system.gatewayUrl}/${reportUrl}`);
    await page.locator(".reprocess-form").waitFor();
    await page.locator(".reprocess-form input[type=number]").fill("2023");
    await page.locator(".reprocess-form button[type=submit]").click();
    await page.locator(".toast", { hasText: "已重新处理" }).waitFor();

    await page.goto(`${web.system.gatewayUrl}/#/targets?region=${encodeURIComponent("大兴区")}&year=2023`);
    await page.locator(".cmp-table tbody tr").first().waitFor();
    await waitIdle(page);
    const table = await page.locator(".cmp-table").innerText();
    assert.match(table, /地区生产总值/);
    assert.match(table, /已达成/);
    assert.match(table, /未达成/);
    assert.match(table, /\+0\.7 pp/); // 5.2% against ≥4.5%
    const gdp = page.locator("tr.cmp", { hasText: "地区生产总值" });
    assert.equal(await gdp.getAttribute("class"), "cmp verdict-met");
    assert.ok((await page.locator("tr.cmp.verdict-not-met").count()) >= 1);
    await expectAccessible(page, "targets");
    await page.evaluate(() => document.getElementById("toasts")?.replaceChildren());
    await screenshot(page, "targets", "desktop");

    await page.goto(`${web.system.gatewayUrl}/#/targets?region=${encodeURIComponent("大兴区")}&year=1800`);
    const error = page.locator(".state.error");
    await error.waitFor();
    assert.match(await error.innerText(), /填写的内容有误（INVALID_ARGUMENT）/);
    assert.deepEqual(page.luoshiErrors.filter((e) => !/status of 4\d\d|Failed to load resource/.test(e)), []);
  });

  step("a viewer sees no upload and no reprocess; every page at 375×667", async () => {
    const viewer = await newPage(browser, "desktop");
    await signInByLink(viewer, web.system.gatewayUrl, tokenFor(VIEWER), "#/documents");
    await viewer.locator(".doc-table tbody tr").first().waitFor();
    assert.equal(await viewer.locator("#drop-zone, #doc-files").count(), 0);
    await viewer.goto(`${web.system.gatewayUrl}/${reportUrl}`);
    await viewer.locator(".doc-text button.fig").first().waitFor();
    assert.equal(await viewer.locator(".reprocess-form").count(), 0);
    await viewer.context().close();

    const phone = await newPage(browser, "phone");
    const base = web.system.gatewayUrl;
    await signInByLink(phone, base, tokenFor(SUPERVISOR), "#/documents");
    await phone.locator(".doc-table tbody tr").first().waitFor();
    await screenshot(phone, "documents", "phone");
    await phone.goto(`${base}/${reportUrl}?figure=0`);
    await phone.locator(".doc-text button.fig.selected").waitFor();
    await expectAccessible(phone, "document (phone)");
    await screenshot(phone, "document", "phone");
    await phone.goto(`${base}/#/indicators?indicator=gdp&region=${encodeURIComponent("大兴区")}`);
    await phone.locator(".chart canvas").first().waitFor();
    await screenshot(phone, "indicators", "phone");
    await phone.goto(`${base}/#/targets?region=${encodeURIComponent("大兴区")}&year=2023`);
    await phone.locator(".cmp-table tbody tr").first().waitFor();
    await expectAccessible(phone, "targets (phone)");
    await screenshot(phone, "targets", "phone");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the targets page fits 375 px (overflow ${overflow} px)`);
    await phone.context().close();
  });

  step("a figure read from a Word table shows the cell it came from", async () => {
    const base = web.system.gatewayUrl;
    await page.goto(`${base}/#/documents`);
    await page.locator("#drop-zone").waitFor();
    const docx = "services/ingestion/extract/testdata/tables/songhe_2024.docx";
    await page.setInputFiles("#doc-files", [
      {
        name: "松河县计划报告.docx",
        mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        buffer: readFileSync(join(repoRoot, docx)),
      },
    ]);
    const item = page.locator(".upload-item.ok", { hasText: "松河县计划报告.docx" });
    await item.waitFor({ timeout: 30000 });
    await item.locator("a").click();
    await page.locator(".doc-text button.fig", { hasText: "431.6" }).click();
    const reading = page.locator(".reading-panel");
    await reading.locator(".fig-value").waitFor();
    const text = await reading.innerText();
    assert.match(text, /地区生产总值/);
    assert.match(text, /表1第3行第5列/); // header rows 1–2; 序号, 指标名称, 单位, 2023年目标, 2023年完成
    assert.match(text, /实际/);
    await expectAccessible(page, "document from a table");
  });
});
