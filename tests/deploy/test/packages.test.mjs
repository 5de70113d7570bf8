// The package lists: setup.sh and the image build read the same build list, and the runtime list is
// exactly the Debian packages whose libraries the built binaries load (ldd, then dpkg -S).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { test } from "node:test";
import { CLI, SERVICES, binaryPath, packageList, readRepoFile } from "./lib.mjs";

test("scripts/setup.sh and the Dockerfile's build stage install the same list", () => {
  const setup = readRepoFile("scripts/setup.sh");
  assert.match(setup, /deploy\/packages\/build\.txt/, "setup.sh does not read deploy/packages/build.txt");
  assert.match(setup, /deploy\/packages\/test\.txt/, "setup.sh does not read deploy/packages/test.txt");
  assert.doesNotMatch(setup, /libgrpc\+\+-dev|libabsl-dev/, "setup.sh names packages of its own again");
  const dockerfile = readRepoFile("deploy/docker/Dockerfile");
  assert.match(dockerfile, /COPY deploy\/packages\/build\.txt /);
  assert.match(dockerfile, /COPY deploy\/packages\/runtime\.txt /);
  assert.doesNotMatch(dockerfile, /COPY deploy\/packages\/test\.txt/, "the image installs test-only packages");
  const build = packageList("build.txt");
  for (const p of ["cmake", "ninja-build", "libgrpc++-dev", "nodejs", "npm"]) assert.ok(build.includes(p), `build.txt lacks ${p}`);
  const tests = packageList("test.txt");
  for (const p of ["python3-prometheus-client", "openssl", "kubernetes-client"]) assert.ok(tests.includes(p), `test.txt lacks ${p}`);
});

// The Debian package owning each of FILES (as ldd printed them; a package may list the file under /lib
// or /usr/lib, merged on Debian 12), from one dpkg -S call; null where none does.
function owners(files) {
  const spellings = (f) => [...new Set([f, realpathSync(f)].flatMap((p) => [p, p.replace(/^\/usr\/lib\//, "/lib/"), p.replace(/^\/lib\//, "/usr/lib/")]))];
  const all = [...new Set(files.flatMap(spellings))];
  // dpkg exits 1 when some spelling is unknown; the lines it prints for the others are what counts.
  const out = spawnSync("dpkg", ["-S", ...all], { encoding: "utf8" }).stdout;
  const byPath = new Map();
  for (const line of out.split("\n")) {
    const m = /^([^:\s]+)(?::[a-z0-9]+)?: (\/.*)$/.exec(line);
    if (m) byPath.set(m[2], m[1]);
  }
  return new Map(files.map((f) => [f, spellings(f).map((p) => byPath.get(p)).find(Boolean) ?? null]));
}

test("the runtime package list is exactly what the built binaries load, less the slim base's own", (t) => {
  const binaries = [...SERVICES.map(binaryPath), CLI];
  const missing = binaries.filter((b) => !existsSync(b));
  assert.deepEqual(missing, [], `not built (set LUOSHI_BUILD_DIR, or run scripts/setup.sh): ${missing.join(", ")}`);
  const libraries = new Set();
  for (const binary of binaries) {
    const out = execFileSync("ldd", [binary], { encoding: "utf8" });
    assert.doesNotMatch(out, /not found/, `${binary} has unresolved libraries:\n${out}`);
    for (const [, lib] of out.matchAll(/=>\s+(\/\S+)/g)) libraries.add(lib);
  }
  const needed = new Map();  // package → a library that needs it, for the message
  const unowned = [];
  for (const [lib, pkg] of owners([...libraries])) {
    if (pkg) needed.set(pkg, lib);
    else unowned.push(lib);
  }
  assert.deepEqual(unowned, [], "libraries no Debian package owns (built by hand?) cannot be in the image");
  const runtime = new Set(packageList("runtime.txt"));
  const base = new Set(packageList("base-allowed.txt"));
  const lacking = [...needed.keys()].filter((p) => !runtime.has(p) && !base.has(p));
  assert.deepEqual(lacking, [], `runtime.txt lacks packages the binaries load (${lacking.map((p) => `${p}: ${needed.get(p)}`).join(", ")})`);
  const unneeded = [...runtime].filter((p) => !needed.has(p));
  assert.deepEqual(unneeded, [], "runtime.txt names packages no binary loads");
  const baseUnused = [...base].filter((p) => !needed.has(p));
  t.diagnostic(`loaded from the base image: ${[...base].filter((p) => needed.has(p)).join(" ")}`);
  assert.deepEqual(baseUnused, [], "base-allowed.txt names packages no binary loads");
});
