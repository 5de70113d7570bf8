// Pure figure logic of the document and indicator pages (no DOM, no network): formatting identical to
// the CLI, labels, verdict looks, text highlighting and chart columns.
export * from "./types.js";
export * from "./decimal.js";
export * from "./format.js";
export * from "./labels.js";
export * from "./verdict.js";
export * from "./highlight.js";
export * from "./chart.js";
