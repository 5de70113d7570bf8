// What the deploy tests share: where things are, the Dockerfile's targets with their effective settings,
// the compose file, rendered kustomizations, the flags each binary knows, and running a binary.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerfileParser } from "dockerfile-ast";
import YAML from "yaml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const DEPLOY = join(ROOT, "deploy");
// Like the scripts: LUOSHI_BUILD_DIR, else build/ of this checkout.
export const BUILD_DIR = resolve(ROOT, "tests", "deploy", process.env.LUOSHI_BUILD_DIR ?? join("..", "..", "build"));
export const SERVICES = ["ingestion", "indicators", "tasks", "gateway"];
// The quick start's ports, from the defaults scripts/start.sh relies on (services/common/flags.h): the
// containers keep them.
export const QUICK_START_PORTS = Object.fromEntries(
  [...readFileSync(join(ROOT, "services", "common", "flags.h"), "utf8")
    .matchAll(/kDefault([A-Z][a-z]+)Address\[\] = "[^"]*:(\d+)"/g)].map(([, name, p]) => [name.toLowerCase(), Number(p)]),
);
export const METRICS_PORT = 9090;

export function binaryPath(service) {
  return join(BUILD_DIR, "services", service, `luoshi-${service}`);
}
export const CLI = join(BUILD_DIR, "services", "cli", "luoshi");

export function readRepoFile(path) {
  return readFileSync(join(ROOT, path), "utf8");
}

// Package names of a deploy/packages list (first word of each line, comments dropped).
export function packageList(name) {
  return readRepoFile(`deploy/packages/${name}`)
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim().split(/\s+/)[0])
    .filter(Boolean);
}

export function parseDockerfile() {
  return DockerfileParser.parse(readRepoFile("deploy/docker/Dockerfile"));
}

// Every stage with its instructions, in order, and the stage it builds on (null for an image).
export function dockerStages() {
  const dockerfile = parseDockerfile();
  const stages = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const image = instruction.getImageName();
      stages.push({
        name: instruction.getBuildStage(),
        from: instruction,
        parent: null,
        parentName: image,
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  for (const stage of stages) stage.parent = stages.find((s) => s.name === stage.parentName) ?? null;
  return stages;
}

// A stage's instructions with its ancestors' first (what the image of that target is made of).
export function stageChain(stage) {
  const chain = [];
  for (let s = stage; s; s = s.parent) chain.unshift(s);
  return chain.flatMap((s) => s.instructions);
}

// Environment a target's image starts its entrypoint with (ENV of the stage and its ancestors).
export function imageEnv(stage) {
  const env = {};
  for (const instruction of stageChain(stage)) {
    if (instruction.getKeyword() === "ENV") {
      for (const p of instruction.getProperties()) env[p.getName()] = p.getValue();
    }
  }
  return env;
}

export function imageLabels(stage) {
  const labels = {};
  for (const instruction of stageChain(stage)) {
    if (instruction.getKeyword() === "LABEL") {
      for (const p of instruction.getProperties()) labels[p.getName()] = p.getValue();
    }
  }
  return labels;
}

// The exec-form JSON array of an ENTRYPOINT/CMD/HEALTHCHECK instruction, or null for shell form.
export function execForm(instruction) {
  let text = instruction.getArgumentsContent() ?? "";
  if (instruction.getKeyword() === "HEALTHCHECK") {
    text = text.replace(/^(\s*--[a-z-]+=\S+)*\s*/, "");
    if (!/^CMD\s/.test(text)) return null;
    text = text.replace(/^CMD\s+/, "");
  }
  try {
    const value = JSON.parse(text.replace(/\\\n/g, " "));
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : null;
  } catch {
    return null;
  }
}

export function lastOf(stage, keyword) {
  return stageChain(stage).filter((i) => i.getKeyword() === keyword).at(-1) ?? null;
}

// The runtime targets: one stage per service, named as the service.
export function serviceTargets() {
  const stages = dockerStages();
  return SERVICES.map((service) => {
    const stage = stages.find((s) => s.name === service);
    if (!stage) throw new Error(`deploy/docker/Dockerfile has no target "${service}"`);
    return { service, stage };
  });
}

export function loadCompose() {
  return YAML.parse(readRepoFile("deploy/compose.yaml"), { merge: true });
}

// `kubectl kustomize DIR` as objects, with the kubectl on the PATH or the one given.
const rendered = new Map();
export function kustomize(dir, kubectl = "kubectl") {
  const key = `${kubectl} ${dir}`;
  if (!rendered.has(key)) {
    const out = execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    rendered.set(key, YAML.parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean));
  }
  return structuredClone(rendered.get(key));
}

// Flags a binary knows, from its --helpfull ("    --name (help…); default: …").
const flagCache = new Map();
export function knownFlags(binary) {
  if (!flagCache.has(binary)) {
    let text;
    try {
      text = execFileSync(binary, ["--helpfull"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      text = `${e.stdout ?? ""}`;  // absl exits 1 after --helpfull on some versions
    }
    flagCache.set(binary, new Set([...text.matchAll(/^\s+--([a-z0-9_]+) \(/gm)].map((m) => m[1])));
  }
  return flagCache.get(binary);
}

// LUOSHI_FOO_BAR → foo_bar; null for a variable that is not a flag's.
export function flagOfEnv(name) {
  return name.startsWith("LUOSHI_") ? name.slice("LUOSHI_".length).toLowerCase() : null;
}

// The flags (without "--") a container gives its binary, from its environment and arguments, with where.
export function flagsGiven(env, args = []) {
  const given = [];
  for (const name of Object.keys(env)) {
    const flag = flagOfEnv(name);
    if (flag) given.push({ flag, from: name });
  }
  for (const arg of args) {
    const m = /^--([a-z0-9_]+)/.exec(arg);
    if (m) given.push({ flag: m[1], from: arg });
  }
  return given;
}

export function unknownFlags(binary, given) {
  const known = knownFlags(binary);
  return given.filter((g) => !known.has(g.flag));
}

export function port(address) {
  return Number(String(address).split(":").at(-1));
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `luoshi-deploy-${prefix}-`));
}

// Development identity material (deploy/dev-identity.sh: CA, certificates, signing key, tokens) in DIR.
export function makeIdentity(dir) {
  execFileSync(join(DEPLOY, "dev-identity.sh"), [dir], {
    env: { ...process.env, LUOSHI_BUILD_DIR: BUILD_DIR },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return dir;
}

// Starts BINARY with ENV (nothing else of this process's LUOSHI_* leaks in) and resolves with the port
// of its "listening" log line; rejects with its output if it exits first.
export function startService(binary, env, args = []) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LUOSHI_")));
  const child = spawn(binary, args, { env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise((resolvePort, reject) => {
    const onData = (chunk) => {
      output += chunk;
      for (const line of output.split("\n")) {
        if (!line.includes('"listening"') && !line.includes("listening")) continue;
        try {
          const entry = JSON.parse(line);
          if (entry.msg === "listening" && entry.port) resolvePort(Number(entry.port));
        } catch {
          const m = /listening.*port[=": ]+(\d+)/.exec(line);
          if (m) resolvePort(Number(m[1]));
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${binary} exited with ${code} before listening:\n${output}`)));
  });
  return { child, ready, output: () => output };
}

export function stop(child) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
    child.on("exit", (code) => res(code));
    child.kill("SIGTERM");
  });
}

export function fileExists(path) {
  return existsSync(join(ROOT, path));
}
