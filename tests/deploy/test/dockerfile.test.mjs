// deploy/docker/Dockerfile as written: pinned bases, one target per service, a non-root user, exec-form
// health checks, labels, and COPY sources that exist in the build context.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  ROOT, SERVICES, dockerStages, execForm, fileExists, imageEnv, imageLabels, lastOf, readRepoFile, serviceTargets,
} from "./lib.mjs";

test("every FROM names an image pinned to a versioned tag, or an earlier stage", () => {
  const stages = dockerStages();
  for (const stage of stages) {
    if (stage.parent) continue;
    const tag = stage.from.getImageTag();
    const where = `FROM ${stage.from.getImage()} (line ${stage.from.getRange().start.line + 1})`;
    assert.ok(tag, `${where} has no tag: the build would take whatever is newest`);
    assert.notEqual(tag, "latest", `${where} is not pinned`);
    assert.match(tag, /\d/, `${where}: a tag without a version (bookworm, stable) moves; name a release`);
  }
});

test("the build stage is Debian 12 and every runtime target builds on Debian 12 slim", () => {
  const stages = dockerStages();
  assert.match(stages.find((s) => s.name === "build").from.getImage(), /^debian:12[.\d]*$/);
  for (const { service, stage } of serviceTargets()) {
    let root = stage;
    while (root.parent) root = root.parent;
    assert.match(root.from.getImage(), /^debian:12[.\d]*-slim$/, `target ${service} is not on bookworm-slim`);
  }
});

test("each service's target runs as the fixed non-root user with its data under /var/lib/luoshi", () => {
  for (const { service, stage } of serviceTargets()) {
    const user = lastOf(stage, "USER");
    assert.ok(user, `target ${service} has no USER: it would run as root`);
    const [uid, gid] = user.getArgumentsContent().trim().split(":");
    assert.equal(uid, "10001", `target ${service} runs as ${uid}, not uid 10001`);
    assert.equal(gid, "10001", `target ${service} runs with group ${gid}, not 10001`);
    const volume = lastOf(stage, "VOLUME");
    assert.ok(volume && volume.getArgumentsContent().includes("/var/lib/luoshi"), `target ${service}: no data VOLUME`);
    if (service !== "gateway") {
      assert.match(imageEnv(stage).LUOSHI_DB ?? "", /^\/var\/lib\/luoshi\/[a-z]+\.db$/, `target ${service}: LUOSHI_DB`);
    }
  }
});

test("each target stops on SIGTERM, checks its health with the binary's --probe (exec form) and starts its binary", () => {
  for (const { service, stage } of serviceTargets()) {
    assert.equal(lastOf(stage, "STOPSIGNAL")?.getArgumentsContent().trim(), "SIGTERM", `target ${service}`);
    const binary = `/usr/local/bin/luoshi-${service}`;
    const health = lastOf(stage, "HEALTHCHECK");
    assert.ok(health, `target ${service} has no HEALTHCHECK`);
    assert.deepEqual(execForm(health), [binary, "--probe"],
      `target ${service}: HEALTHCHECK must be CMD ["${binary}", "--probe"] (exec form: the image has no shell to rely on)`);
    assert.deepEqual(execForm(lastOf(stage, "ENTRYPOINT")), [binary], `target ${service}: ENTRYPOINT`);
  }
});

test("each target carries the OCI labels", () => {
  for (const { service, stage } of serviceTargets()) {
    const labels = imageLabels(stage);
    for (const key of ["title", "description", "vendor", "documentation"]) {
      assert.ok(labels[`org.opencontainers.image.${key}`], `target ${service} lacks org.opencontainers.image.${key}`);
    }
    assert.equal(labels["org.opencontainers.image.title"], `luoshi-${service}`);
  }
});

// .dockerignore patterns as regular expressions over paths relative to the context (no negations used).
function ignored(path) {
  const patterns = readRepoFile(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const parts = path.split("/");
  return patterns.some((pattern) => {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\//g, "(?:.*/)?").replace(/\*/g, "[^/]*")}$`);
    return parts.some((_, i) => re.test(parts.slice(0, i + 1).join("/")));
  });
}

test("every COPY source exists in the repository and is in the build context, or comes from a stage", () => {
  const stages = dockerStages();
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      if (instruction.getKeyword() !== "COPY") continue;
      const line = instruction.getRange().start.line + 1;
      const from = instruction.getFromFlag?.()?.getValue();
      const args = instruction.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--"));
      const sources = args.slice(0, -1);
      if (from) {
        assert.ok(stages.some((s) => s.name === from), `line ${line}: COPY --from=${from} names no stage`);
        continue;
      }
      for (const source of sources) {
        assert.ok(fileExists(source), `line ${line}: COPY ${source}: no such file in the repository`);
        assert.ok(!ignored(source), `line ${line}: COPY ${source}: .dockerignore leaves it out of the context`);
      }
    }
  }
});

test(".dockerignore keeps build trees, node_modules, local data and git out of the context", () => {
  for (const path of ["build", "build-asan", "client-web/node_modules", "tests/deploy/node_modules", "data/local", ".git",
    "client-web/test-output", "deploy/.compose"]) {
    assert.ok(ignored(path), `${path} would be sent to the daemon`);
  }
  for (const path of ["services", "proto", "client-web/src", "data/catalog.json", "data/seeds"]) {
    assert.ok(!ignored(path), `${path} is needed by the build and must stay in the context`);
  }
});

test("the build stage builds the shipped programs with tests off, and the web client as setup.sh does", () => {
  const text = readRepoFile("deploy/docker/Dockerfile");
  assert.match(text, /-DLUOSHI_BUILD_TESTS=OFF/);
  for (const target of [...SERVICES.map((s) => `luoshi-${s}`), "luoshi"]) {
    assert.match(text, new RegExp(`--target [^\\n]*\\b${target}\\b`), `${target} is not built`);
  }
  assert.match(text, /npm ci/);
  assert.match(text, /npm run --silent build/);
  assert.ok(statSync(join(ROOT, "client-web", "package-lock.json")).isFile());
});
