// Generates TypeScript-typed JavaScript for the shared schemas (../proto) into src/gen with protoc-gen-es.
// protoc comes from Debian's protobuf-compiler (installed by scripts/setup.sh).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const protoRoot = join(here, "..", "proto");
const out = join(here, "src", "gen");
const plugin = join(here, "node_modules", ".bin", process.platform === "win32" ? "protoc-gen-es.cmd" : "protoc-gen-es");

function protos(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return protos(path);
    return name.endsWith(".proto") ? [relative(protoRoot, path)] : [];
  });
}

mkdirSync(out, { recursive: true });
execFileSync(
  "protoc",
  [
    `--plugin=protoc-gen-es=${plugin}`,
    `--es_out=${out}`,
    "--es_opt=target=js+dts,import_extension=js",
    `-I${protoRoot}`,
    ...protos(protoRoot),
  ],
  { stdio: "inherit" },
);
