// Measures what Luoshi's services take per 1,000 documents and per 10,000 tasks, with the real binaries
// of the build on loopback (quick-start style: plaintext, port 0, a temporary data directory). Prints a
// Markdown table for docs/operations.md ("Sizing"). Not a test: run it by hand.
//
//   cd tests/deploy && LUOSHI_BUILD_DIR=$PWD/../../build node sizing.mjs [DOCUMENTS, default 1000]
//
// The documents are the samples of data/seeds in turn, each made distinct by one appended line (the
// ingestion service stores identical bytes once), so the mix is the samples' own: work reports, plan
// execution reports and a division plan of 121 tasks (each copy a plan of its own).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT, binaryPath, startService, stop, tempDir } from "./test/lib.mjs";

const documents = Number(process.argv[2] ?? 1000);
const work = tempDir("sizing");
const keys = join(work, "keys");
execFileSync(CLI, ["key", "generate", join(keys, "signing")]);
mkdirSync(join(keys, "public"));
const privateKey = readdirSync(join(keys, "signing")).find((f) => f.endsWith(".private.pem"));
const publicKey = readdirSync(join(keys, "signing")).find((f) => f.endsWith(".public.pem"));
writeFileSync(join(keys, "public", publicKey), readFileSync(join(keys, "signing", publicKey)));
const issue = (...args) => execFileSync(CLI, ["token", "issue", ...args, "--key", join(keys, "signing", privateKey)], { encoding: "utf8" }).trim();
writeFileSync(join(work, "service.token"), issue("--user", "luoshi-ingestion", "--role", "service"));
const admin = issue("--user", "sizing", "--role", "admin");

const common = { LUOSHI_AUTH_KEYS: join(keys, "public"), LUOSHI_LISTEN: "127.0.0.1:0", LUOSHI_CATALOG: join(ROOT, "data", "catalog.json") };
const ports = {};
const procs = {};
async function start(name, env) {
  const s = startService(binaryPath(name), { ...common, LUOSHI_DB: join(work, `${name}.db`), ...env });
  procs[name] = s.child;
  ports[name] = await s.ready;
}
await start("indicators", {});
await start("tasks", { LUOSHI_UNITS: join(ROOT, "data", "units.json"), LUOSHI_SERVICE_TOKEN: join(work, "service.token"), LUOSHI_INDICATORS_ADDR: `127.0.0.1:${ports.indicators}` });
await start("ingestion", { LUOSHI_SERVICE_TOKEN: join(work, "service.token"), LUOSHI_INDICATORS_ADDR: `127.0.0.1:${ports.indicators}`, LUOSHI_TASKS_ADDR: `127.0.0.1:${ports.tasks}` });

const rssKiB = (name) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${procs[name].pid}/status`, "utf8"))[1]);
const diskBytes = (name) => ["", "-wal"].map((s) => join(work, `${name}.db${s}`)).filter(existsSync).reduce((n, f) => n + statSync(f).size, 0);
const snapshot = () => Object.fromEntries(["ingestion", "indicators", "tasks"].map((n) => [n, { rss: rssKiB(n), disk: diskBytes(n) }]));

const before = snapshot();
const seeds = readdirSync(join(ROOT, "data", "seeds")).filter((f) => f.endsWith(".txt")).sort();
const docs = join(work, "docs");
mkdirSync(docs);
let tasks = 0;
let figures = 0;
const started = Date.now();
for (let i = 0; i < documents; i += 50) {
  const batch = [];
  for (let j = i; j < Math.min(documents, i + 50); j++) {
    const seed = seeds[j % seeds.length];
    const path = join(docs, `${j}-${seed}`);
    // A plan's key is region, year and title: each copy of the division plan gets its own title, so its
    // tasks are new tasks, not a new version of the same plan's.
    const text = readFileSync(join(ROOT, "data", "seeds", seed), "utf8").replaceAll("分工方案", `分工方案（${j}）`);
    writeFileSync(path, `${text}\n（印发序号 ${j}）\n`);
    batch.push(path);
  }
  const out = execFileSync(CLI, ["--ingestion_addr", `127.0.0.1:${ports.ingestion}`, "--token", admin, "ingest", ...batch], { encoding: "utf8", maxBuffer: 1 << 26 });
  for (const [, f, t] of out.matchAll(/(\d+) indicator figures, (\d+) tasks/g)) { figures += Number(f); tasks += Number(t); }
}
// Deliveries to indicators and tasks run after each reply: wait until no database has grown for 5 s.
let last = "";
for (let still = 0; still < 5; ) {
  await new Promise((r) => setTimeout(r, 1000));
  const now = JSON.stringify(["ingestion", "indicators", "tasks"].map(diskBytes));
  still = now === last ? still + 1 : 0;
  last = now;
}
const seconds = (Date.now() - started) / 1000;
const running = snapshot();
// On SIGTERM each service checkpoints its WAL into the database file: what stays on the volume.
for (const child of Object.values(procs)) await stop(child);
const afterAll = Object.fromEntries(["ingestion", "indicators", "tasks"].map((n) => [n, { rss: running[n].rss, disk: diskBytes(n) }]));

const mib = (bytes) => (bytes / (1 << 20)).toFixed(1);
console.log(`${documents} documents (${figures} indicator figures, ${tasks} tasks) in ${seconds.toFixed(0)} s on ${execFileSync("nproc").toString().trim()} cores, ${new Date().toISOString().slice(0, 10)}`);
console.log("| service | memory (RSS) idle → loaded | database file | disk per 1,000 documents | disk per 10,000 tasks |");
console.log("|---|---|---|---|---|");
for (const name of ["ingestion", "indicators", "tasks"]) {
  const b = before[name];
  const a = afterAll[name];
  const perDocs = ((a.disk - b.disk) * 1000) / documents;
  const perTasks = name === "tasks" && tasks ? `${mib(((a.disk - b.disk) * 10000) / tasks)} MiB` : "—";
  console.log(`| ${name} | ${(b.rss / 1024).toFixed(0)} → ${(a.rss / 1024).toFixed(0)} MiB | ${mib(a.disk)} MiB | ${mib(perDocs)} MiB | ${perTasks} |`);
}
rmSync(work, { recursive: true, force: true });
