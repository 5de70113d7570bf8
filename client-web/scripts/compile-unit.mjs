// Compiles src/ with tsc into test-output/unit/ so unit tests (test/unit/*.test.mjs) can import the
// client's own modules in Node: e.g. import { parseHash } from "../../test-output/unit/app/router.js".
// The generated protobuf code (src/gen, plain .js beside its .d.ts) is copied as it is.
// Type errors do not stop this step (npm run build checks types); a module that did not compile fails
// the test that imports it.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(here, "test-output", "unit");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(here, "tsconfig.unit.json")], { stdio: "inherit" });
} catch {
  console.error("compile-unit: tsc reported errors (output written anyway)");
}
cpSync(join(here, "src", "gen"), join(out, "gen"), { recursive: true, filter: (p) => !p.endsWith(".d.ts") });
// Node 18 loads .js as an ES module only under a package.json that says so.
writeFileSync(join(out, "package.json"), '{"type":"module"}\n');
