// Prints how big the browser client is, gzipped (level 9, what a gateway or proxy would send):
//   1. every JavaScript and CSS file of the build (what the browser downloads), and the totals;
//   2. the JavaScript split into parts by where the code comes from (generated protobuf code, the
//      protobuf runtime, connect, uPlot, the shell, the pages, the figure logic). Rollup reports each
//      module's code before minification, so each chunk's gzipped size is shared out among its modules
//      in proportion to their code: the parts add up to the total exactly, each is an estimate.
// It builds the client with the project's own Vite configuration into a temporary directory (the
// sources are not touched, dist/ is not overwritten). `node scripts/bundle-size.mjs --json` prints JSON.
// The budget: at most 100 KB of JavaScript in total, gzipped; the script exits 1 above it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const BUDGET_JS_GZIP = 100 * 1024;
const json = process.argv.includes("--json");

const gz = (text) => gzipSync(Buffer.isBuffer(text) ? text : Buffer.from(text), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function part(id) {
  const p = id.replace(/\\/g, "/").replace(/^\0/, "");
  if (p.includes("/node_modules/uplot/")) return "uPlot (charts)";
  if (p.includes("/node_modules/@bufbuild/protobuf/")) return "@bufbuild/protobuf (runtime)";
  if (p.includes("/node_modules/@connectrpc/")) return "@connectrpc (grpc-web transport)";
  if (p.includes("/node_modules/")) return "other libraries";
  if (p.includes("/src/gen/")) return "generated code (src/gen)";
  if (p.includes("/src/figures/")) return "figure logic (src/figures)";
  if (p.includes("/src/pages/")) return "pages (src/pages)";
  if (p.includes("/src/app/") || p.endsWith("/src/main.ts")) return "shell (src/main.ts, src/app)";
  if (p.includes("vite/") || p.includes("preload-helper") || p.includes("modulepreload")) return "Vite runtime (module preload)";
  return "other";
}

const outDir = mkdtempSync(join(tmpdir(), "luoshi-bundle-"));
try {
  const { build } = await import("vite");
  const result = await build({ root, logLevel: "silent", build: { outDir, emptyOutDir: true } });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);

  // 1. Files as written.
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(js|css)$/.test(name)) {
        const bytes = readFileSync(path);
        files.push({ file: relative(outDir, path).split(sep).join("/"), bytes: bytes.length, gzip: gz(bytes) });
      }
    }
  };
  walk(outDir);
  files.sort((a, b) => b.gzip - a.gzip);
  const total = (kind) =>
    files.filter((f) => f.file.endsWith(kind)).reduce((s, f) => ({ bytes: s.bytes + f.bytes, gzip: s.gzip + f.gzip }), { bytes: 0, gzip: 0 });
  const js = total(".js");
  const css = total(".css");

  // 2. JavaScript by origin: each chunk's minified and gzipped sizes shared out among its modules in
  // proportion to their rendered (unminified) code.
  const sums = new Map();
  for (const chunk of outputs) {
    if (chunk.type !== "chunk") continue;
    const written = files.find((f) => f.file === chunk.fileName);
    if (!written) continue;
    const modules = Object.entries(chunk.modules).filter(([, info]) => info.renderedLength > 0);
    const whole = modules.reduce((s, [, info]) => s + info.renderedLength, 0);
    if (whole === 0) continue;
    for (const [id, info] of modules) {
      const name = part(id);
      const share = info.renderedLength / whole;
      const sum = sums.get(name) ?? { bytes: 0, gzip: 0 };
      sum.bytes += written.bytes * share;
      sum.gzip += written.gzip * share;
      sums.set(name, sum);
    }
  }
  const parts = [...sums.entries()]
    .map(([name, s]) => ({ part: name, bytes: Math.round(s.bytes), gzip: Math.round(s.gzip) }))
    .sort((a, b) => b.gzip - a.gzip);

  if (json) {
    console.log(JSON.stringify({ files, totals: { js, css }, parts, budgetJsGzip: BUDGET_JS_GZIP }, null, 2));
  } else {
    const pad = (s, n) => s + " ".repeat(Math.max(0, n - [...s].length));
    const lpad = (s, n) => " ".repeat(Math.max(0, n - s.length)) + s;
    console.log(`${pad("file", 44)} ${lpad("raw", 10)} ${lpad("gzip", 10)}`);
    for (const f of files) console.log(`${pad(f.file, 44)} ${lpad(kb(f.bytes), 10)} ${lpad(kb(f.gzip), 10)}`);
    console.log(`${pad("total JavaScript", 44)} ${lpad(kb(js.bytes), 10)} ${lpad(kb(js.gzip), 10)}`);
    console.log(`${pad("total CSS", 44)} ${lpad(kb(css.bytes), 10)} ${lpad(kb(css.gzip), 10)}`);
    console.log(`${pad("total", 44)} ${lpad(kb(js.bytes + css.bytes), 10)} ${lpad(kb(js.gzip + css.gzip), 10)}`);
    console.log("");
    console.log(`${pad("JavaScript by origin (estimated shares)", 44)} ${lpad("raw", 10)} ${lpad("gzip", 10)}`);
    for (const p of parts) console.log(`${pad(p.part, 44)} ${lpad(kb(p.bytes), 10)} ${lpad(kb(p.gzip), 10)}`);
    console.log("");
    console.log(`budget: JavaScript ≤ ${kb(BUDGET_JS_GZIP)} gzipped: ${js.gzip <= BUDGET_JS_GZIP ? "within" : "OVER"} (${kb(js.gzip)})`);
  }
  if (js.gzip > BUDGET_JS_GZIP) process.exitCode = 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
