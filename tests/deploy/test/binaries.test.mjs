// The binaries the images start: each entrypoint is built, knows every flag the Dockerfile, compose.yaml
// and the Kubernetes manifests give it, and starts and answers health with the compose configuration
// (ports → 127.0.0.1:0, secrets → development material made in a temporary directory).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  BUILD_DIR, CLI, DEPLOY, ROOT, binaryPath, execForm, flagsGiven, imageEnv, knownFlags, kustomize, lastOf,
  loadCompose, makeIdentity, serviceTargets, startService, stop, tempDir, unknownFlags,
} from "./lib.mjs";

const targets = serviceTargets();

test("each target's entrypoint is a binary of the build", () => {
  for (const { service, stage } of targets) {
    const [entry] = execForm(lastOf(stage, "ENTRYPOINT"));
    const built = binaryPath(service);
    assert.equal(entry, `/usr/local/bin/luoshi-${service}`);
    assert.ok(existsSync(built), `${built} is missing (LUOSHI_BUILD_DIR=${BUILD_DIR})`);
  }
});

// Every flag given to SERVICE's binary anywhere in deploy/, with where it was given.
function deploymentFlags(service, stage) {
  const given = flagsGiven(imageEnv(stage)).map((g) => ({ ...g, where: `Dockerfile target ${service}` }));
  given.push(...flagsGiven({}, execForm(lastOf(stage, "HEALTHCHECK")).slice(1)).map((g) => ({ ...g, where: "HEALTHCHECK" })));
  const compose = loadCompose().services[service];
  const env = Array.isArray(compose.environment)
    ? Object.fromEntries(compose.environment.map((e) => e.split("=")))
    : compose.environment ?? {};
  given.push(...flagsGiven(env, compose.command ?? []).map((g) => ({ ...g, where: "compose.yaml" })));
  for (const overlay of ["base", "overlays/postgres"]) {
    const objects = kustomize(join(DEPLOY, "k8s", overlay));
    const maps = Object.fromEntries(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data ?? {}]));
    const workload = objects.find((o) => ["StatefulSet", "Deployment"].includes(o.kind) && o.metadata.name === service);
    for (const c of workload.spec.template.spec.containers) {
      const where = `k8s ${overlay} ${workload.kind}/${service}`;
      for (const from of c.envFrom ?? []) given.push(...flagsGiven(maps[from.configMapRef.name] ?? {}).map((g) => ({ ...g, where: `${where} ConfigMap ${from.configMapRef.name}` })));
      given.push(...flagsGiven(Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value])), c.args ?? []).map((g) => ({ ...g, where })));
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        if (probe?.exec) given.push(...flagsGiven({}, probe.exec.command.slice(1)).map((g) => ({ ...g, where: `${where} probe` })));
      }
    }
  }
  return given;
}

for (const { service, stage } of targets) {
  test(`luoshi-${service} knows every flag the deployment gives it`, () => {
    const unknown = unknownFlags(binaryPath(service), deploymentFlags(service, stage));
    const byFlag = new Map();
    for (const u of unknown) byFlag.set(u.flag, [...(byFlag.get(u.flag) ?? []), `${u.from} in ${u.where}`]);
    assert.deepEqual([...byFlag.keys()], [],
      `luoshi-${service} does not know ${[...byFlag.keys()].map((f) => `--${f}`).join(", ")}:\n` +
      [...byFlag].map(([f, w]) => `  --${f}: ${[...new Set(w)].join("; ")}`).join("\n"));
  });
}

// The compose configuration of every service, run on loopback.
let identity;
let work;
const running = {};
const ports = {};

// A container path the configuration names → the file it is on this machine.
function hostPath(service, path) {
  const compose = loadCompose();
  const secret = (compose.services[service].secrets ?? []).find((s) => s.target === path);
  if (secret) return join(identity, compose.secrets[secret.source].file.replace(/^\.\/\.compose\//, ""));
  if (path === "/etc/luoshi/auth-keys") {
    const dir = join(work, `${service}-auth-keys`);
    mkdirSync(dir, { recursive: true });
    for (const s of compose.services[service].secrets ?? []) {
      if (s.target.startsWith(`${path}/`)) cpSync(join(identity, compose.secrets[s.source].file.replace(/^\.\/\.compose\//, "")), join(dir, s.target.slice(path.length + 1)));
    }
    return dir;
  }
  if (path.startsWith("/var/lib/luoshi/")) return join(work, service, path.slice("/var/lib/luoshi/".length));
  // Files the image copies in: from the repository, or the web client built by the build stage.
  const stage = targets.find((t) => t.service === service).stage;
  for (const s of [stage, stage.parent, stage.parent?.parent].filter(Boolean)) {
    for (const i of s.instructions) {
      if (i.getKeyword() !== "COPY") continue;
      const args = i.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--"));
      if (args.at(-1) !== path) continue;
      return args[0] === "/src/client-web/dist" ? join(ROOT, "client-web", "dist") : join(ROOT, args[0]);
    }
  }
  return null;
}

function localEnv(service) {
  const env = imageEnv(targets.find((t) => t.service === service).stage);
  const out = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("LUOSHI_")) continue;
    if (name === "LUOSHI_LISTEN" || name === "LUOSHI_METRICS_LISTEN") out[name] = "127.0.0.1:0";
    else if (/_ADDR$/.test(name)) {
      const peer = value.split(":")[0];
      assert.ok(ports[peer], `${service} calls ${peer}, which must start first`);
      out[name] = `127.0.0.1:${ports[peer]}`;
    } else if (value.startsWith("/")) {
      const local = hostPath(service, value);
      assert.ok(local, `${service}: ${name}=${value} is neither a compose secret, the data volume, nor a file the image copies`);
      out[name] = local;
    } else out[name] = value;
  }
  return out;
}

before(() => {
  work = tempDir("run");
  identity = makeIdentity(join(work, "identity"));
});

after(async () => {
  for (const child of Object.values(running)) await stop(child);
  rmSync(work, { recursive: true, force: true });
});

// Start order of compose's depends_on: indicators, tasks, ingestion, gateway.
for (const service of ["indicators", "tasks", "ingestion", "gateway"]) {
  test(`luoshi-${service} starts with the compose configuration and reports healthy`, async () => {
    const env = localEnv(service);
    const started = startService(binaryPath(service), env);
    running[service] = started.child;
    ports[service] = await started.ready;
    const probeEnv = { ...env, LUOSHI_LISTEN: `127.0.0.1:${ports[service]}` };
    if (knownFlags(binaryPath(service)).has("probe")) {
      execFileSync(binaryPath(service), ["--probe"], { env: probeEnv, stdio: ["ignore", "pipe", "pipe"] });
    } else if (service === "gateway") {
      assert.equal(await httpsStatus(ports.gateway, "/healthz", join(identity, "tls", "ca.pem")), 200);
    } else {
      const out = cliHealth();
      assert.match(out, new RegExp(`^${service}\\s+127\\.0\\.0\\.1:${ports[service]}\\s+SERVING`, "m"), out);
    }
  });
}

test("the gateway serves the browser client's page, which its Kubernetes probes ask for", async () => {
  assert.ok(running.gateway, "the gateway did not start");
  assert.equal(await httpsStatus(ports.gateway, "/", join(identity, "tls", "ca.pem")), 200,
    "GET / must answer 200 (is the web client built? scripts/setup.sh builds it)");
});

test("the services stop on SIGTERM with exit code 0", async () => {
  for (const service of ["gateway", "ingestion", "tasks", "indicators"]) {
    if (!running[service]) continue;
    assert.equal(await stop(running[service]), 0, `luoshi-${service} did not exit 0 on SIGTERM`);
    delete running[service];
  }
});

// `luoshi health` as the CLI with its development client certificate; its output names each service.
function cliHealth() {
  const args = ["--tls_ca", join(identity, "tls", "ca.pem"), "--tls_cert", join(identity, "tls", "cli.pem"),
    "--tls_key", join(identity, "tls", "cli.key")];
  for (const s of ["ingestion", "indicators", "tasks"]) args.push(`--${s}_addr`, `127.0.0.1:${ports[s] ?? 1}`);
  args.push("--gateway_addr", "127.0.0.1:1", "health");
  try {
    return execFileSync(CLI, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    return `${e.stdout}`;  // not every service is up yet: the line of the one asked about decides
  }
}

function httpsStatus(p, path, ca) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: p, path, ca: [readFileSync(ca)], servername: "localhost" }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", reject);
    req.end();
  });
}
