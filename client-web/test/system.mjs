// Starts the real Luoshi system for a test: the three gRPC services and the gateway, each from the
// build tree, each on a port the kernel picks (--listen=127.0.0.1:0) with its own database in a fresh
// temporary directory. Also a minimal direct gRPC client over node:http2, so a test can compare what
// the gateway answers with what the service itself answers, without depending on the gateway.
//
// Node 18 APIs only (the project supports Node >= 18).
import { spawn, execFileSync } from "node:child_process";
import { connect } from "node:http2";
import { mkdtempSync, rmSync, existsSync, readdirSync, mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { create, toBinary, fromBinary } from "@bufbuild/protobuf";

const clientWeb = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoRoot = dirname(clientWeb);
// Same default as scripts/env.sh: build/ next to client-web/. LUOSHI_BUILD_DIR points elsewhere (an
// out-of-tree or sanitizer build).
export const buildDir = resolve(clientWeb, process.env.LUOSHI_BUILD_DIR ?? join("..", "build"));

const STARTUP_TIMEOUT_MS = 20000; // as tests/common/process.cc
const STOP_TIMEOUT_MS = 5000;
const LOG_KEEP_BYTES = 64 * 1024; // enough for a diagnosis, bounded so a chatty service cannot eat memory

// Children still alive when the test process exits (a hook that never ran, an uncaught error) get
// SIGTERM here, so no run leaves services behind.
const alive = new Set();
process.on("exit", () => {
  for (const child of alive) child.kill("SIGTERM");
});

export function binaryPath(service) {
  return join(buildDir, "services", service, `luoshi-${service}`);
}

export const cliPath = join(buildDir, "services", "cli", "luoshi");

// The deployment's signing key of the running system (set by startSystem), and the tokens issued with it.
let signingKey = "";
const issued = new Map();

// A token for `who`, made by the real CLI (luoshi token issue) with the system's private key.
export function tokenFor({ user = "", unit = "", role }) {
  if (!signingKey) throw new Error("tokenFor: no system started");
  const key = `${user}\n${unit}\n${role}`;
  if (!issued.has(key)) {
    const args = ["token", "issue", "--user", user || role, "--role", role, "--expires", "1d", "--key", signingKey];
    if (unit) args.push("--unit", unit);
    issued.set(key, execFileSync(cliPath, args, { encoding: "utf8" }).trim());
  }
  return issued.get(key);
}

// Makes a key pair in `dir` the way an operator would (luoshi key generate): the public half in
// dir/keys for the services, the private half kept here; and the ingestion service's own token.
function makeKeys(dir) {
  const signing = join(dir, "signing");
  execFileSync(cliPath, ["key", "generate", signing], { encoding: "utf8" });
  const keys = join(dir, "keys");
  mkdirSync(keys);
  for (const name of readdirSync(signing)) {
    if (name.endsWith(".public.pem")) copyFileSync(join(signing, name), join(keys, name));
    if (name.endsWith(".private.pem")) signingKey = join(signing, name);
  }
  issued.clear();
  const serviceToken = join(dir, "service.token");
  writeFileSync(serviceToken, tokenFor({ user: "luoshi-ingestion", role: "service" }) + "\n");
  return [`--auth_keys=${keys}`, `--service_token=${serviceToken}`];
}

// Rejects after `ms` with a message naming what was awaited, so no wait in a test is unbounded.
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts one service binary and resolves once its "listening" log line names the port.
function startProcess(name, binary, args) {
  if (!existsSync(binary)) {
    return Promise.reject(new Error(`${binary} does not exist: build first (scripts/test.sh) or set LUOSHI_BUILD_DIR`));
  }
  // cwd = the source tree, because the services' defaults (data/units.json, …) are relative to it.
  const child = spawn(binary, ["--listen=127.0.0.1:0", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
  });
  alive.add(child);
  const proc = { name, child, port: 0, log: "", exited: null };
  child.on("exit", (code, signal) => {
    alive.delete(child);
    proc.exited = { code, signal };
  });
  return new Promise((resolvePort, reject) => {
    let pending = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not report a port within ${STARTUP_TIMEOUT_MS} ms:\n${proc.log}`));
    }, STARTUP_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not be started: ${err.message}`));
    });
    child.on("exit", (code, signal) => {
      if (proc.port) return;
      clearTimeout(timer);
      reject(new Error(`${name} exited at start-up (code ${code}, signal ${signal}):\n${proc.log}`));
    });
    // Keep draining stderr for the whole run: a full pipe would block the service.
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text) => {
      proc.log = (proc.log + text).slice(-LOG_KEEP_BYTES);
      if (proc.port) return;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) {
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // not a log line (e.g. a flag usage message); it stays in the log for diagnosis
        }
        if (entry.msg === "listening" && Number(entry.port) > 0) {
          proc.port = Number(entry.port);
          clearTimeout(timer);
          // The test's own timers and sockets keep Node running; a forgotten child must not.
          child.unref();
          child.stderr.unref?.();
          resolvePort(proc);
          return;
        }
      }
    });
  });
}

async function stopProcess(proc) {
  if (!proc || proc.exited) return;
  const exited = new Promise((r) => proc.child.once("exit", r));
  proc.child.kill("SIGTERM");
  try {
    await withTimeout(exited, STOP_TIMEOUT_MS, `${proc.name} to stop after SIGTERM`);
  } catch {
    proc.child.kill("SIGKILL");
    await withTimeout(exited, STOP_TIMEOUT_MS, `${proc.name} to die after SIGKILL`).catch(() => {});
  }
}

// Starts indicators, tasks, ingestion and the gateway, wired to each other. Resolves to
// { gatewayUrl, ports: {indicators, tasks, ingestion, gateway}, logs(), stop() }.
// stop() is safe to call at any point, also after a failed start.
// Options: webRoot, the directory the gateway serves the browser client from (--web_root; default the
// gateway's own, client-web/dist); gatewayArgs, more flags for the gateway.
export async function startSystem({ webRoot, gatewayArgs = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "luoshi-web-gateway-"));
  const procs = [];
  const system = {
    dir,
    ports: {},
    gatewayUrl: "",
    logs() {
      return procs.map((p) => `--- ${p.name} (port ${p.port}) ---\n${p.log}`).join("\n");
    },
    async stop() {
      // Front to back: the gateway first, so it never sees its backends vanish mid-call.
      for (const p of [...procs].reverse()) await stopProcess(p);
      rmSync(dir, { recursive: true, force: true });
    },
    // Stops one process (e.g. "gateway"), as a crash or a restart would.
    async stopOne(name) {
      await stopProcess(procs.find((p) => p.name === name));
    },
    // Starts a stopped process again with its arguments, on the port it had (the last --listen wins).
    async restartOne(name) {
      const i = procs.findIndex((p) => p.name === name);
      const old = procs[i];
      await stopProcess(old);
      procs[i] = await startProcess(name, binaryPath(name), [...old.args, `--listen=127.0.0.1:${old.port}`]);
      procs[i].args = old.args;
    },
  };
  const start = async (name, args) => {
    const p = await startProcess(name, binaryPath(name), args);
    p.args = args;
    procs.push(p);
    system.ports[name] = p.port;
    return `127.0.0.1:${p.port}`;
  };
  try {
    const auth = makeKeys(dir);
    const indicators = await start("indicators", [...auth, `--db=${join(dir, "indicators.db")}`]);
    const tasks = await start("tasks", [
      ...auth,
      `--db=${join(dir, "tasks.db")}`,
      `--units=${join(repoRoot, "data", "units.json")}`,
      `--indicators_addr=${indicators}`,
    ]);
    // Short dispatcher interval: the test waits for delivery, a production default would make it slow.
    const ingestion = await start("ingestion", [
      ...auth,
      `--db=${join(dir, "ingestion.db")}`,
      `--indicators_addr=${indicators}`,
      `--tasks_addr=${tasks}`,
      "--dispatch_interval_ms=50",
      "--retry_max_ms=500",
    ]);
    const gateway = await start("gateway", [
      `--ingestion_addr=${ingestion}`,
      `--indicators_addr=${indicators}`,
      `--tasks_addr=${tasks}`,
      ...(webRoot ? [`--web_root=${webRoot}`] : []),
      ...gatewayArgs,
    ]);
    system.gatewayUrl = `http://${gateway}`;
  } catch (err) {
    // A partial system is of no use: end what did start (a process that failed its own start-up
    // has exited or been killed already) and report why.
    await system.stop();
    throw err;
  }
  return system;
}

// The request headers that sign in as `who` (services/common/identity.h): a signed token, nothing else.
export function identityHeaders(who) {
  return { authorization: `Bearer ${tokenFor(who)}` };
}

function frame(bytes) {
  const out = new Uint8Array(5 + bytes.length);
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

function percentDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// One call straight to a service over gRPC (HTTP/2 cleartext), bypassing the gateway. `method` is a
// generated method descriptor (e.g. TaskService.method.listTasks). Works for unary and
// server-streaming methods. Resolves to { code, message, responses } where code/message are the gRPC
// status and responses the decoded messages; never rejects for a gRPC error, only for transport
// failures or the time-out.
export function callDirect(port, method, request, headers = {}, timeoutMs = 15000) {
  const path = `/${method.parent.typeName}/${method.name}`;
  const body = frame(toBinary(method.input, create(method.input, request)));
  const call = new Promise((resolveCall, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": `${timeoutMs}m`,
      ...headers,
    });
    let status;
    let grpcMessage = "";
    const takeStatus = (h) => {
      if (h["grpc-status"] !== undefined) {
        status = Number(h["grpc-status"]);
        grpcMessage = percentDecode(String(h["grpc-message"] ?? ""));
      }
    };
    req.on("response", takeStatus); // trailers-only responses carry the status in the headers
    req.on("trailers", takeStatus);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("error", (err) => {
      session.destroy();
      reject(err);
    });
    req.on("end", () => {
      session.close();
      const data = Buffer.concat(chunks);
      const responses = [];
      for (let at = 0; at + 5 <= data.length; ) {
        const length = data.readUInt32BE(at + 1);
        responses.push(fromBinary(method.output, data.subarray(at + 5, at + 5 + length)));
        at += 5 + length;
      }
      if (status === undefined) reject(new Error(`${path}: no grpc-status from the service`));
      else resolveCall({ code: status, message: grpcMessage, responses });
    });
    req.end(body);
  });
  return withTimeout(call, timeoutMs + 1000, `direct gRPC call ${path}`);
}
