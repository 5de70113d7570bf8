// deploy/k8s: the base and each overlay render with kubectl kustomize, every object validates against
// the Kubernetes API schema (kubernetes-models), and what the objects say agrees with what the
// containers do: ports the flags open, selectors that match pods, the architecture's callers.
import assert from "node:assert/strict";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  DEPLOY, METRICS_PORT, QUICK_START_PORTS, SERVICES, imageEnv, kustomize, makeIdentity, port, readRepoFile,
  serviceTargets, tempDir,
} from "./lib.mjs";

// Every kubectl to render with: the one on the PATH and any in LUOSHI_EXTRA_KUBECTL (e.g. Debian 12's,
// whose kustomize is much older; docs/operations.md says how to get it).
const KUBECTLS = ["kubectl", ...(process.env.LUOSHI_EXTRA_KUBECTL ?? "").split(/\s+/).filter(Boolean)];
const renders = {};
let copy;

before(() => {
  // The dev overlay reads its Secrets from files that deploy/dev-identity.sh makes: render a copy.
  copy = tempDir("k8s");
  cpSync(join(DEPLOY, "k8s"), join(copy, "k8s"), { recursive: true });
  makeIdentity(join(copy, "k8s", "overlays", "dev", "secrets"));
  for (const kubectl of KUBECTLS) {
    renders[kubectl] = {
      base: kustomize(join(DEPLOY, "k8s", "base"), kubectl),
      postgres: kustomize(join(DEPLOY, "k8s", "overlays", "postgres"), kubectl),
      dev: kustomize(join(copy, "k8s", "overlays", "dev"), kubectl),
    };
  }
});

after(() => rmSync(copy, { recursive: true, force: true }));

const all = () => Object.entries(renders).flatMap(([kubectl, r]) => Object.entries(r).map(([name, objects]) => ({ kubectl, name, objects })));
const workloads = (objects) => objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));
const named = (s) => s.replace(/-[a-z0-9]{10}$/, "");  // without a generator's hash suffix

test("every kubectl renders the base and the overlays to the same objects", () => {
  const summary = (objects) => objects.map((o) => `${o.kind}/${named(o.metadata.name)}`).sort();
  for (const { kubectl, name, objects } of all()) {
    for (const o of objects) assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${kubectl} renders ${name} with an incomplete object ${JSON.stringify(o)}`);
  }
  const [first, ...others] = KUBECTLS;
  for (const name of ["base", "postgres", "dev"]) {
    assert.ok(renders[first][name].length > 0, `${name} rendered nothing`);
    for (const other of others) assert.deepEqual(summary(renders[other][name]), summary(renders[first][name]), `${name}: ${other} vs ${first}`);
  }
});

test("every rendered object validates against the Kubernetes API schema", async () => {
  for (const { name, objects } of all()) {
    for (const object of objects) {
      const what = `${name}: ${object.kind}/${object.metadata?.name}`;
      let Model;
      try {
        ({ [object.kind]: Model } = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`));
      } catch {
        assert.fail(`${what}: kubernetes-models knows no ${object.apiVersion} ${object.kind}`);
      }
      if (object.kind === "Secret") {
        // kustomize folds long base64 values over lines; the API server's decoder skips the breaks, the
        // schema's "byte" format does not.
        for (const k of Object.keys(object.data ?? {})) object.data[k] = object.data[k].replace(/\s+/g, "");
      }
      try {
        new Model(object).validate();
      } catch (e) {
        assert.fail(`${what}: ${e.message}`);
      }
    }
  }
});

// The environment a container starts with: its image's ENV, then its ConfigMaps, then its own env.
function containerEnv(objects, container) {
  const image = /^luoshi-([a-z]+):/.exec(container.image)?.[1];
  const target = serviceTargets().find((t) => t.service === image);
  assert.ok(target, `container ${container.name}: image ${container.image} is no Dockerfile target`);
  const env = { ...imageEnv(target.stage) };
  for (const from of container.envFrom ?? []) {
    const map = objects.find((o) => o.kind === "ConfigMap" && named(o.metadata.name) === named(from.configMapRef.name));
    assert.ok(map, `container ${container.name}: ConfigMap ${from.configMapRef.name} is not in the rendering`);
    Object.assign(env, map.data);
  }
  for (const e of container.env ?? []) env[e.name] = e.value;
  return { service: image, env };
}

test("each container declares exactly the ports its flags open, and its probes use them", () => {
  for (const { name, objects } of all()) {
    for (const workload of workloads(objects)) {
      for (const c of workload.spec.template.spec.containers) {
        const { service, env } = containerEnv(objects, c);
        const opened = [port(env.LUOSHI_LISTEN), port(env.LUOSHI_METRICS_LISTEN)].sort();
        const where = `${name}: ${workload.kind}/${workload.metadata.name}`;
        assert.equal(port(env.LUOSHI_LISTEN), QUICK_START_PORTS[service], `${where} listens on ${env.LUOSHI_LISTEN}`);
        assert.equal(port(env.LUOSHI_METRICS_LISTEN), METRICS_PORT, `${where}: metrics on ${env.LUOSHI_METRICS_LISTEN}`);
        assert.deepEqual(c.ports.map((p) => p.containerPort).sort(), opened, `${where}: container ports`);
        for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
          const probe = c[kind];
          assert.ok(probe, `${where} has no ${kind}`);
          if (probe.exec) {
            assert.deepEqual(probe.exec.command, [`/usr/local/bin/luoshi-${service}`, "--probe"], `${where} ${kind}`);
            continue;
          }
          const action = probe.httpGet ?? probe.grpc ?? probe.tcpSocket;
          const p = typeof action.port === "string" ? c.ports.find((x) => x.name === action.port)?.containerPort : action.port;
          assert.equal(p, port(env.LUOSHI_LISTEN), `${where} ${kind} probes port ${action.port}`);
          if (probe.httpGet) assert.equal(probe.httpGet.scheme, env.LUOSHI_TLS_CERT ? "HTTPS" : "HTTP", `${where} ${kind} scheme`);
        }
        // Migrations may take a while on a large database: the startup probe allows minutes.
        const s = c.startupProbe;
        if (service !== "gateway") assert.ok((s.periodSeconds ?? 10) * (s.failureThreshold ?? 3) >= 120, `${where}: startup probe allows too little time`);
      }
    }
  }
});

function selects(selector, labels) {
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
}

test("every Service's selector matches pods, and its target port is one they open", () => {
  for (const { name, objects } of all()) {
    for (const service of objects.filter((o) => o.kind === "Service")) {
      const pods = workloads(objects).filter((w) => selects({ matchLabels: service.spec.selector }, w.spec.template.metadata.labels));
      assert.equal(pods.length, 1, `${name}: Service ${service.metadata.name} selects ${pods.length} workloads`);
      const containerPorts = pods[0].spec.template.spec.containers.flatMap((c) => c.ports);
      for (const p of service.spec.ports) {
        const target = containerPorts.find((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort);
        assert.ok(target, `${name}: Service ${service.metadata.name} port ${p.name} targets ${p.targetPort}, which no container opens`);
      }
    }
    for (const s of ["ingestion", "indicators", "tasks"]) {
      const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === s);
      assert.ok(svc, `${name}: no Service named ${s} (peers call ${s}:${QUICK_START_PORTS[s]}, and its certificate names ${s})`);
      assert.ok(svc.spec.ports.some((p) => p.port === QUICK_START_PORTS[s]), `${name}: Service ${s} does not serve ${QUICK_START_PORTS[s]}`);
    }
  }
});

test("NetworkPolicies select real pods and let in only the callers the architecture names", () => {
  const callers = { gateway: null, ingestion: ["gateway"], indicators: ["gateway", "ingestion", "tasks"], tasks: ["gateway", "ingestion"] };
  for (const { name, objects } of all()) {
    const pods = workloads(objects).map((w) => w.spec.template.metadata.labels);
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    for (const policy of policies) {
      assert.ok(pods.some((l) => selects(policy.spec.podSelector, l)), `${name}: ${policy.metadata.name} selects no pod`);
      for (const rule of policy.spec.ingress ?? []) {
        for (const peer of rule.from ?? []) {
          if (peer.podSelector) assert.ok(pods.some((l) => selects(peer.podSelector, l)), `${name}: ${policy.metadata.name} lets in pods that do not exist`);
        }
      }
    }
    assert.ok(policies.some((p) => Object.keys(p.spec.podSelector.matchLabels).join() === "app.kubernetes.io/part-of" && !p.spec.ingress),
      `${name}: no default-deny policy for Luoshi's pods`);
    for (const service of SERVICES) {
      const labels = pods.find((l) => l["app.kubernetes.io/name"] === service);
      const rules = policies.filter((p) => selects(p.spec.podSelector, labels)).flatMap((p) => p.spec.ingress ?? [])
        .filter((r) => r.ports?.some((p) => p.port === QUICK_START_PORTS[service]));
      if (callers[service] === null) {
        assert.ok(rules.some((r) => !r.from), `${name}: ${service} must be reachable from outside`);
        continue;
      }
      assert.ok(rules.every((r) => r.from), `${name}: ${service} is open to anyone`);
      const allowed = rules.flatMap((r) => r.from.map((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"] ?? "(other)")).sort();
      assert.deepEqual(allowed, callers[service], `${name}: callers of ${service}`);
    }
    const metrics = policies.flatMap((p) => p.spec.ingress ?? []).filter((r) => r.ports?.some((p) => p.port === METRICS_PORT));
    assert.ok(metrics.length > 0 && metrics.every((r) => r.from?.every((f) => f.namespaceSelector)), `${name}: metrics only from the monitoring namespace`);
  }
});

test("every pod and container runs non-root, read-only, without privileges, under RuntimeDefault seccomp", () => {
  for (const { name, objects } of all()) {
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      const where = `${name}: ${w.kind}/${w.metadata.name}`;
      assert.equal(pod.securityContext.runAsNonRoot, true, where);
      assert.equal(pod.securityContext.runAsUser, 10001, where);
      assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", where);
      for (const c of pod.containers) {
        const sc = c.securityContext;
        assert.equal(sc.runAsNonRoot, true, where);
        assert.equal(sc.runAsUser, 10001, where);
        assert.equal(sc.readOnlyRootFilesystem, true, where);
        assert.equal(sc.allowPrivilegeEscalation, false, where);
        assert.deepEqual(sc.capabilities.drop, ["ALL"], where);
        assert.equal(sc.seccompProfile.type, "RuntimeDefault", where);
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${where}: resources`);
        assert.ok(c.volumeMounts.some((m) => m.mountPath === "/tmp"), `${where}: a read-only root needs a writable /tmp`);
      }
    }
  }
});

test("base: a single-replica StatefulSet with its own volume per database, two gateways with a disruption budget", () => {
  for (const kubectl of KUBECTLS) {
    const objects = renders[kubectl].base;
    for (const s of ["ingestion", "indicators", "tasks"]) {
      const set = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === s);
      assert.ok(set, `no StatefulSet ${s}`);
      assert.equal(set.spec.replicas, 1, `${s}: SQLite has one writer`);
      const claim = set.spec.volumeClaimTemplates.find((v) => v.metadata.name === "data");
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
      const mount = set.spec.template.spec.containers[0].volumeMounts.find((m) => m.name === "data");
      assert.equal(mount.mountPath, "/var/lib/luoshi");
    }
    const gateway = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "gateway");
    assert.equal(gateway.spec.replicas, 2);
    const pdb = objects.find((o) => o.kind === "PodDisruptionBudget" && selects(o.spec.selector, gateway.spec.template.metadata.labels));
    assert.ok(pdb, "no PodDisruptionBudget for the gateway");
    assert.equal(objects.filter((o) => o.kind === "Secret").length, 0, "the base must hold no secrets");
  }
});

test("every Secret a pod mounts is one deploy/k8s/README.md documents, and the dev overlay makes them all", () => {
  const readme = readRepoFile("deploy/k8s/README.md");
  for (const kubectl of KUBECTLS) {
    const mounted = (objects) => new Set(workloads(objects).flatMap((w) => w.spec.template.spec.volumes.filter((v) => v.secret).map((v) => v.secret.secretName)));
    for (const secret of mounted(renders[kubectl].base)) assert.match(readme, new RegExp(`\\b${secret}\\b`), `README.md does not document ${secret}`);
    const dev = renders[kubectl].dev;
    for (const secret of mounted(dev)) {
      assert.ok(dev.some((o) => o.kind === "Secret" && o.metadata.name === secret), `dev overlay mounts ${secret}, which it does not make`);
    }
  }
});

test("postgres overlay: the three services are Deployments of several replicas with the base's pods, less the data volume, on LUOSHI_STORE", () => {
  for (const kubectl of KUBECTLS) {
    const { base, postgres } = renders[kubectl];
    assert.equal(postgres.filter((o) => o.kind === "StatefulSet").length, 0);
    for (const s of ["ingestion", "indicators", "tasks"]) {
      const d = postgres.find((o) => o.kind === "Deployment" && o.metadata.name === s);
      assert.ok(d, `no Deployment ${s}`);
      assert.ok(d.spec.replicas > 1, `${s}: one replica`);
      const expected = structuredClone(base.find((o) => o.kind === "StatefulSet" && o.metadata.name === s).spec.template);
      for (const c of expected.spec.containers) {
        c.volumeMounts = c.volumeMounts.filter((m) => m.name !== "data");
        c.env = [...(c.env ?? []), { name: "LUOSHI_STORE", valueFrom: { secretKeyRef: { name: "luoshi-postgres", key: s } } }];
      }
      assert.deepEqual(d.spec.template, expected, `${s}: the Deployment's pod drifted from the base's StatefulSet`);
      assert.ok(postgres.some((o) => o.kind === "PodDisruptionBudget" && selects(o.spec.selector, d.spec.template.metadata.labels)), `${s}: no PodDisruptionBudget`);
      // What the container starts with: the image's and the common flags' SQLite file cleared (an empty
      // variable is no flag), else the service refuses --store and --db together.
      const { env } = containerEnv(postgres, d.spec.template.spec.containers[0]);
      assert.equal(env.LUOSHI_DB, "", `${s}: LUOSHI_DB is still set beside LUOSHI_STORE`);
    }
  }
  assert.match(readRepoFile("deploy/k8s/README.md"), /\bluoshi-postgres\b/, "README.md does not document the Secret luoshi-postgres");
});
