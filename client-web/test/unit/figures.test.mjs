// Unit tests of the figure logic (src/figures): formatting identical to services/indicators/format.cc
// (expected strings taken from its tests and from the CLI), labels, verdict looks, highlighting with
// code-point spans, chart columns.
// `npm test` compiles src/ into test-output/unit first (scripts/compile-unit.mjs).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as F from "../../test-output/unit/figures/index.js";

const dec = (text) => {
  const [i, f = ""] = text.replace("-", "").split(".");
  const u = BigInt(i + f);
  return { unscaled: text.startsWith("-") ? -u : u, scale: f.length };
};
// An observation with the fields the formatter reads (enum numbers of common.proto).
const obs = (o) => ({
  indicatorId: "",
  surfaceName: "",
  region: "",
  period: "2023",
  measure: 1,
  bound: 0,
  changeDirection: 0,
  comparisonBase: "",
  status: 1,
  qualitativeText: "",
  ...o,
});
const MEASURE = { LEVEL: 1, GROWTH_RATE: 2, PP: 3, SHARE: 4, PROGRESS: 5, MULTIPLE: 6, QUALITATIVE: 7, CHANGE: 8 };
const BOUND = { EXACT: 1, AT_LEAST: 2, MORE_THAN: 3, AT_MOST: 4, LESS_THAN: 5, ABOUT: 6, RANGE: 7 };
const DIR = { UP: 1, DOWN: 2, FLAT: 3 };

describe("decimals", () => {
  it("formats exactly like services/common/decimal.cc", () => {
    assert.equal(F.formatDecimal({ unscaled: 13348n, scale: 1 }), "1334.8");
    assert.equal(F.formatDecimal({ unscaled: 104n, scale: 0 }), "104");
    assert.equal(F.formatDecimal({ unscaled: 520n, scale: 2 }), "5.20");
    assert.equal(F.formatDecimal({ unscaled: -32n, scale: 1 }), "-3.2");
    assert.equal(F.formatDecimal({ unscaled: 5n, scale: 3 }), "0.005");
    assert.equal(F.formatDecimal({ unscaled: -5n, scale: 2 }), "-0.05");
    assert.equal(F.formatDecimal({ unscaled: 5n, scale: -2 }), "500");
    assert.equal(F.formatDecimal({ unscaled: 0n, scale: -2 }), "0");
    assert.equal(F.formatDecimal({ unscaled: 0n, scale: 2 }), "0.00");
    // Beyond 2^53: exact, no float on the way.
    assert.equal(F.formatDecimal({ unscaled: 9007199254740993n, scale: 2 }), "90071992547409.93");
  });
  it("parses and converts for drawing only", () => {
    assert.deepEqual(F.parseDecimal("-3.20"), { unscaled: -320n, scale: 2 });
    assert.equal(F.parseDecimal("1e5"), null);
    assert.equal(F.decimalToNumber(dec("1334.8")), 1334.8);
  });
});

describe("figure text (as the CLI prints it)", () => {
  it("growth, fall, flat", () => {
    const q = (v, unit = "%") => ({ value: dec(v), unit });
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, changeDirection: DIR.UP, value: q("5.2") })), "增长5.2%");
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, changeDirection: DIR.DOWN, value: q("3.2") })), "下降3.2%");
    // A fall stored negative still reads as its magnitude after 下降.
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, changeDirection: DIR.DOWN, value: q("-3.2") })), "下降3.2%");
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.PP, changeDirection: DIR.DOWN, value: q("3.4", "个百分点") })), "下降3.4 pp");
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, changeDirection: DIR.FLAT, value: q("0") })), "持平0%");
    // No direction word for a level, even when one is set.
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.LEVEL, changeDirection: DIR.UP, value: q("1334.8", "亿元") })), "1334.8亿元");
    // Growth without a direction: the sign as stored.
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, value: q("-3") })), "-3%");
  });
  it("bounds and ranges", () => {
    const q = (v, unit = "%") => ({ value: dec(v), unit });
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, bound: BOUND.AT_LEAST, value: q("4.5") })), "≥4.5%");
    assert.equal(
      F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, changeDirection: DIR.UP, bound: BOUND.AT_LEAST, value: q("4.5") })),
      "增长≥4.5%",
    );
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.ABOUT, measure: MEASURE.SHARE, value: q("20") })), "≈20%");
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.AT_MOST, value: q("34", "微克/立方米") })), "≤34微克/立方米");
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.MORE_THAN, value: q("400", "家") })), ">400家");
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.LESS_THAN, value: q("5") })), "<5%");
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.EXACT, value: q("5") })), "5%");
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.RANGE, value: q("3", "个"), upperValue: dec("5") })), "3–5个");
    assert.equal(
      F.formatObservationValue(obs({ measure: MEASURE.GROWTH_RATE, changeDirection: DIR.DOWN, bound: BOUND.RANGE, value: q("-3"), upperValue: dec("-5") })),
      "下降3–5%",
    );
    // A range without its upper end reads like its symbol and lower end.
    assert.equal(F.formatObservationValue(obs({ bound: BOUND.RANGE, value: q("3", "个") })), "–3个");
  });
  it("qualitative figures read as their words", () => {
    assert.equal(F.formatObservationValue(obs({ measure: MEASURE.QUALITATIVE, qualitativeText: "达到市级要求" })), "达到市级要求");
  });
  it("amounts: pp for every spelling of percentage points", () => {
    for (const unit of ["个百分点", "百分点", "pp"]) assert.equal(F.formatAmount(dec("0.7"), unit), "0.7 pp");
    assert.equal(F.formatAmount(dec("0.05"), "亿元"), "0.05亿元");
    assert.equal(F.formatQuantity({ value: dec("-4"), unit: "微克/立方米" }), "-4微克/立方米");
    assert.equal(F.formatQuantity({ unit: "%" }), "0%");
  });
  it("labels: the CLI's words and the Chinese ones", () => {
    assert.equal(F.measureLabel(MEASURE.PP), "pp change");
    assert.equal(F.statusLabel(2), "target");
    assert.equal(F.verdictLabel(4), "not measurable");
    assert.equal(F.measureName(MEASURE.GROWTH_RATE, "zh"), "增速");
    assert.equal(F.statusName(3, "zh"), "预计");
    assert.equal(F.boundName(BOUND.AT_LEAST, "zh"), "不低于（≥）");
    assert.equal(F.indicatorLabel({ surfaceName: "", indicatorId: "gdp" }), "gdp");
    assert.equal(F.documentTypeName(3, "zh"), "重点工作分工方案");
    assert.equal(F.deliveryStateName(4, "zh"), "送达失败");
    // Every entry of the tables, by enum number (common.proto, ingestion.proto, indicators.proto).
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => F.measureName(m, "zh")), ["未注明", "总量", "增速", "百分点变化", "占比", "完成进度", "倍数", "定性", "增减量", "未注明"]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => F.measureName(m, "en")), ["unspecified", "level", "growth rate", "pp change", "share", "progress", "multiple", "qualitative", "change", "unspecified"]);
    assert.deepEqual([0, 1, 2, 3, 4].map((v) => F.statusName(v, "zh")), ["未注明", "实际", "目标", "预计", "未注明"]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((v) => F.verdictName(v, "zh")), ["未知", "已达成", "未达成", "待判定", "无法衡量", "未知"]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((b) => F.boundSymbol(b)), ["", "", "≥", ">", "≤", "<", "≈", "–", ""]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((d) => F.documentTypeName(d, "en")), ["unknown", "plan execution report", "work report", "division plan", "statistical bulletin", "other", "unknown"]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((d) => F.deliveryStateName(d, "zh")), ["未知", "等待送达", "已送达", "无需送达", "送达失败", "未知"]);
    assert.equal(F.verdictLook(0, "zh").className, "verdict-unmeasurable");
    assert.equal(F.verdictLook(9, "zh").className, "verdict-unmeasurable");
  });
});

describe("periods", () => {
  it("reads every form of the period grammar", () => {
    const zh = (c) => F.periodName(c, "zh");
    assert.equal(zh("2023"), "2023年");
    assert.equal(zh("2023H1"), "2023年上半年");
    assert.equal(zh("2023H2"), "2023年下半年");
    assert.equal(zh("2023Q3"), "2023年三季度");
    assert.equal(zh("2023-07"), "2023年7月");
    assert.equal(zh("2023M07"), "2023年7月");
    assert.equal(zh("2023M01-M09"), "2023年1-9月");
    assert.equal(zh("2023M01-M06"), "2023年上半年");
    assert.equal(zh(""), "未注明");
    assert.equal(zh("later"), "later");
    assert.equal(F.periodName("2023H1", "en"), "2023H1");
  });
  it("orders by start, then length", () => {
    const codes = ["2024", "2023H2", "2023", "2023Q1", "2023H1", "2022"];
    codes.sort((a, b) => F.periodSortKey(a) - F.periodSortKey(b));
    assert.deepEqual(codes, ["2022", "2023Q1", "2023H1", "2023", "2023H2", "2024"]);
  });
});

describe("verdicts", () => {
  it("colour plus symbol plus words", () => {
    const met = F.verdictLook(1, "zh");
    assert.equal(met.className, "verdict-met");
    assert.equal(met.symbol, "✓");
    assert.equal(met.text, "已达成");
    assert.equal(F.verdictLook(2, "zh").text, "未达成");
    assert.equal(F.verdictLook(3, "en").text, "pending");
    const classes = new Set([1, 2, 3, 4].map((v) => F.verdictLook(v, "zh").className));
    assert.equal(classes.size, 4);
    const symbols = new Set([1, 2, 3, 4].map((v) => F.verdictLook(v, "zh").symbol));
    assert.equal(symbols.size, 4, "each verdict has its own symbol: colour is never the only cue");
  });
  it("text colours are readable on white and on their tint (WCAG AA 4.5:1)", () => {
    const lum = (hex) => {
      const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    for (const v of [1, 2, 3, 4]) {
      const look = F.verdictLook(v, "zh");
      assert.ok(ratio(look.colour, "#ffffff") >= 4.5, `${look.className} on white`);
      assert.ok(ratio(look.colour, look.background) >= 4.5, `${look.className} on its tint`);
    }
  });
  it("margins as the CLI's explanation writes them", () => {
    const m = { value: dec("0.7"), unit: "个百分点" };
    assert.equal(F.signedMargin(m), "+0.7 pp");
    assert.equal(F.signedMargin({ value: dec("-4"), unit: "微克/立方米" }), "-4微克/立方米");
    assert.equal(F.signedMargin(undefined), "");
    assert.equal(F.marginWords(m, 1, "en"), "met by 0.7 pp");
    assert.equal(F.marginWords(m, 1, "zh"), "余量 0.7 pp");
    assert.equal(F.marginWords({ value: dec("-0.1"), unit: "个百分点" }, 2, "en"), "missed by 0.1 pp");
    assert.equal(F.marginWords({ value: dec("0"), unit: "%" }, 1, "zh"), "恰好达成");
    assert.equal(F.marginWords(undefined, 3, "zh"), "");
  });
});

describe("highlighting", () => {
  const text = "地区生产总值完成1334.8亿元,同比增长5.2%。\n固定资产投资下降3%。";
  it("cuts the text into runs, a figure inside a sentence carries both", () => {
    const segs = F.segment(text, [
      { span: { begin: 0, end: 26 }, kind: "sentence", id: 0 },
      { span: { begin: 8, end: 16 }, kind: "figure", id: 0 },
      { span: { begin: 19, end: 25 }, kind: "figure", id: 1 },
    ]);
    assert.equal(segs.map((s) => s.text).join(""), text, "nothing lost or doubled");
    const fig = segs.filter((s) => "figure" in s.kinds);
    assert.deepEqual(fig.map((s) => s.text), ["1334.8亿元", "增长5.2%"]);
    assert.deepEqual(fig.map((s) => s.kinds.sentence), [0, 0]);
    assert.deepEqual(segs.at(-1).kinds, {});
  });
  it("counts spans in code points, not UTF-16 units", () => {
    // 𠀀 (U+20000) is one code point, two UTF-16 units: a span after it must still hit "5.2%".
    const t = "𠀀区增长5.2%";
    const segs = F.segment(t, [{ span: { begin: 4, end: 8 }, kind: "figure", id: 7 }]);
    assert.equal(segs.find((s) => s.kinds.figure === 7).text, "5.2%");
    assert.equal(F.spanText(t, { begin: 0, end: 2 }), "𠀀区");
  });
  it("ignores empty, inverted and missing spans; clamps ones that run past the end", () => {
    const segs = F.segment("abc", [
      { span: { begin: 2, end: 2 }, kind: "figure", id: 0 },
      { span: { begin: 2, end: 1 }, kind: "figure", id: 1 },
      { span: undefined, kind: "figure", id: 2 },
      { span: { begin: 1, end: 99 }, kind: "task", id: 3 },
    ]);
    assert.deepEqual(segs.map((s) => [s.text, s.kinds]), [["a", {}], ["bc", { task: 3 }]]);
  });
  it("overlapping marks of one kind: the narrowest wins where they overlap", () => {
    const segs = F.segment("0123456789", [
      { span: { begin: 0, end: 8 }, kind: "figure", id: 0 },
      { span: { begin: 2, end: 4 }, kind: "figure", id: 1 },
    ]);
    assert.deepEqual(segs.map((s) => [s.text, s.kinds.figure]), [["01", 0], ["23", 1], ["4567", 0], ["89", undefined]]);
  });
  it("finds a figure's index in its source key", () => {
    assert.equal(F.figureIndex("0123abcd:obs:0"), 0);
    assert.equal(F.figureIndex(`${"a".repeat(64)}:obs:117`), 117);
    assert.equal(F.figureIndex("manual-entry-7"), null);
    assert.equal(F.figureIndex(""), null);
  });
  it("handles a long document with many marks quickly", () => {
    const long = "增长5.2%,".repeat(20000);
    const marks = Array.from({ length: 20000 }, (_, i) => ({ span: { begin: i * 7, end: i * 7 + 6 }, kind: "figure", id: i }));
    const t0 = performance.now();
    const segs = F.segment(long, marks);
    // Linear-ish: a sweep, not marks × runs (that would take many seconds); generous for a loaded machine.
    assert.ok(performance.now() - t0 < 3000);
    assert.equal(segs.filter((s) => "figure" in s.kinds).length, 20000);
  });
});

describe("chart columns", () => {
  const point = (period, o) => ({ period, observation: obs({ period, ...o }) });
  const growth = (period, v, extra = {}) =>
    point(period, { measure: MEASURE.GROWTH_RATE, changeDirection: DIR.UP, value: { value: dec(v), unit: "%" }, ...extra });
  it("actuals and targets on one period axis, falls below zero", () => {
    const actuals = [growth("2021", "8.1"), growth("2020H1", "3.2", { changeDirection: DIR.DOWN }), growth("2023", "5.2")];
    const targets = [growth("2023", "4.5", { status: 2, bound: BOUND.AT_LEAST }), growth("2024", "5", { status: 2 })];
    const c = F.chartData(actuals, targets, MEASURE.GROWTH_RATE);
    assert.deepEqual(c.periods, ["2020H1", "2021", "2023", "2024"]);
    assert.deepEqual(c.x, [0, 1, 2, 3]);
    assert.deepEqual(c.actual, [-3.2, 8.1, 5.2, null]);
    assert.deepEqual(c.target, [null, null, 4.5, 5]);
    assert.deepEqual(c.targetUpper, [null, null, null, null]);
    assert.equal(c.unit, "%");
    assert.equal(c.notDrawn, 0);
  });
  it("converts magnitude words to the most common unit, leaves out what cannot be compared", () => {
    const level = (period, v, unit) => point(period, { measure: MEASURE.LEVEL, value: { value: dec(v), unit } });
    const c = F.chartData([level("2021", "1200", "亿元"), level("2022", "13000000", "万元"), level("2023", "1334.8", "亿元"), level("2020", "5", "家")], [], MEASURE.LEVEL);
    assert.equal(c.unit, "亿元");
    assert.deepEqual(c.periods, ["2021", "2022", "2023"]);
    assert.deepEqual(c.actual, [1200, 1300, 1334.8]);
    assert.equal(c.notDrawn, 1);
  });
  it("draws only year-on-year changes; a range target gives a band", () => {
    const c = F.chartData(
      [growth("2022", "6"), growth("2022", "12", { comparisonBase: "比2020年" }), growth("2023", "5", { comparisonBase: "比上年" })],
      [growth("2023", "4", { status: 2, bound: BOUND.RANGE, upperValue: dec("5") })],
      MEASURE.GROWTH_RATE,
    );
    assert.deepEqual(c.actual, [6, 5]);
    assert.deepEqual(c.target, [null, 4]);
    assert.deepEqual(c.targetUpper, [null, 5]);
    assert.equal(c.notDrawn, 1);
  });
  it("lists drawable measures, most figures first, qualitative never", () => {
    const pts = [growth("2021", "1"), growth("2022", "2"), point("2022", { measure: MEASURE.LEVEL, value: { value: dec("3"), unit: "亿元" } }), point("2023", { measure: MEASURE.QUALITATIVE, qualitativeText: "稳定" })];
    assert.deepEqual(F.drawableMeasures(pts), [MEASURE.GROWTH_RATE, MEASURE.LEVEL]);
  });
  it("comparison bases as the indicator service normalises them", () => {
    for (const b of ["", "同比", "比上年", "较上年同期", "与去年同期"]) assert.ok(F.isYearOnYear(b), b);
    for (const b of ["比2020年", "较一季度"]) assert.ok(!F.isYearOnYear(b), b);
  });
  it("splits magnitude words like the service", () => {
    assert.deepEqual(F.splitUnit("万亿元"), { exponent: 12, base: "元" });
    assert.deepEqual(F.splitUnit("万人"), { exponent: 4, base: "人" });
    assert.deepEqual(F.convert(dec("1"), "个百分点", "pp"), dec("1"));
    assert.equal(F.convert(dec("1"), "%", "亿元"), null);
    assert.equal(F.decimalToNumber(F.convert(dec("13000000"), "万元", "亿元")), 1300);
    assert.equal(F.impliedUnit(MEASURE.PP, "", ""), "个百分点");
    assert.equal(F.impliedUnit(MEASURE.LEVEL, "", "亿元"), "亿元");
  });
});
