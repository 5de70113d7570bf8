// luoshi admin backup|restore: online backups of the three services' databases, and putting one back.
//
// backup: each service snapshots its own database (AdminService.BackupDatabase, services/common/
// admin_service.h) and streams it; the CLI writes every file under a temporary name, checks its size and
// SHA-256 against the stream's end, and only when all three arrived renames them and writes
// manifest.json last. A directory with a manifest.json is a complete backup; a failed backup leaves none
// of its files behind.
// restore: checks the manifest, each file's size, SHA-256 and PRAGMA integrity_check, refuses while any
// service still answers, copies the files into the data directory under temporary names, then moves each
// current database (with its WAL) aside as *.before-restore and renames the copy into place.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "luoshi/v1/admin.grpc.pb.h"
#include "services/cli/cli.h"
#include "services/cli/format.h"
#include "services/common/backup.h"
#include "services/common/health_client.h"
#include "services/common/server.h"
#include "services/common/time.h"

namespace luoshi::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kManifestFormat[] = "luoshi-backup-1";
constexpr char kManifestFile[] = "manifest.json";
constexpr char kDefaultDataDir[] = "data/local";  // the quick start's (scripts/start.sh)

struct Target {
  ServiceName name;
  std::string address;
  std::string file;  // the database's name in a backup and in a data directory
};

// In the order they are backed up: ingestion before the services it delivers to, so that every delivery
// the ingestion snapshot records as done is also in the later snapshot of its target
// (docs/reliability.md, Backup and restore).
std::vector<Target> Targets(const Context& ctx) {
  return {{kIngestionService, ctx.ingestion_addr, "ingestion.db"},
          {kIndicatorsService, ctx.indicators_addr, "indicators.db"},
          {kTasksService, ctx.tasks_addr, "tasks.db"}};
}

// Flushes a file (or a directory, after renames in it) to disk.
absl::Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path, " to flush it"));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot flush ", path, " to disk"));
  return absl::OkStatus();
}

absl::Status Rename(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", from, " to ", to, ": ", ec.message()));
  return absl::OkStatus();
}

std::string Megabytes(int64_t bytes) { return absl::StrFormat("%.2f MB", static_cast<double>(bytes) / 1e6); }

// Receives one service's snapshot into `path`, checking the stream's order, size and SHA-256.
absl::StatusOr<v1::BackupFile> Receive(const Context& ctx, const Target& target, const std::string& path) {
  auto stub = v1::AdminService::NewStub(MakeChannel(target.address));
  grpc::ClientContext context;
  ctx.Prepare(&context);
  std::unique_ptr<grpc::ClientReader<v1::BackupChunk>> reader =
      stub->BackupDatabase(&context, v1::BackupDatabaseRequest());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));

  v1::BackupFile file;
  file.set_service(target.name.short_name);
  file.set_address(target.address);
  file.set_file(target.file);
  Sha256 sha;
  int64_t received = 0;
  bool started = false, ended = false;
  absl::Status problem;
  v1::BackupChunk chunk;
  while (problem.ok() && reader->Read(&chunk)) {
    switch (chunk.part_case()) {
      case v1::BackupChunk::kStart:
        if (started) problem = absl::DataLossError("the stream started twice");
        started = true;
        file.set_schema_version(chunk.start().schema_version());
        *file.mutable_snapshot_time() = chunk.start().snapshot_time();
        file.set_size_bytes(chunk.start().size_bytes());
        break;
      case v1::BackupChunk::kData:
        if (!started || ended) problem = absl::DataLossError("data outside the stream's start and end");
        sha.Update(chunk.data().data(), chunk.data().size());
        out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
        received += static_cast<int64_t>(chunk.data().size());
        break;
      case v1::BackupChunk::kEnd:
        if (!started || ended) problem = absl::DataLossError("an end without a start, or two ends");
        ended = true;
        file.set_sha256(chunk.end().sha256());
        if (chunk.end().size_bytes() != received || file.size_bytes() != received) {
          problem = absl::DataLossError(
              absl::StrCat("received ", received, " bytes; the service sent ", chunk.end().size_bytes()));
        }
        break;
      default:
        problem = absl::DataLossError("a message of a kind this luoshi does not know; update it");
    }
  }
  if (!problem.ok()) context.TryCancel();
  const grpc::Status status = reader->Finish();
  if (!problem.ok()) {
    return absl::DataLossError(absl::StrCat("the ", target.name.short_name, " backup stream from ",
                                            target.address, " is broken: ", problem.message()));
  }
  if (!status.ok()) return RpcError(target.name.short_name, target.address, status);
  if (!ended) {
    return absl::DataLossError(
        absl::StrCat("the ", target.name.short_name, " backup stream from ", target.address, " ended early"));
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path, " (disk full?)"));
  if (const std::string digest = sha.HexDigest(); digest != file.sha256()) {
    return absl::DataLossError(absl::StrCat("the ", target.name.short_name,
                                            " backup arrived damaged: SHA-256 ", digest,
                                            ", the service sent ", file.sha256()));
  }
  if (absl::Status s = SyncPath(path); !s.ok()) return s;
  return file;
}

absl::Status WriteManifest(const v1::BackupManifest& manifest, const std::string& path) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(manifest, &json, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("cannot write the manifest: ", s.ToString()));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return SyncPath(path);
}

absl::Status Backup(Context& ctx, const Args& args) {
  const std::string dir = args.Get("out");
  if (dir.empty()) return absl::InvalidArgumentError("--out DIR is required");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::vector<Target> targets = Targets(ctx);
  for (const std::string& name :
       {std::string(kManifestFile), targets[0].file, targets[1].file, targets[2].file}) {
    if (fs::exists(fs::path(dir) / name, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir, " already holds a backup (", name, "); give a new directory to --out"));
    }
  }

  v1::BackupManifest manifest;
  manifest.set_format(kManifestFormat);
  *manifest.mutable_started() = ToTimestamp(absl::Now());
  std::vector<std::string> partials;
  const auto abandon = [&](const absl::Status& why) {
    for (const auto& p : partials) fs::remove(p, ec);
    return absl::Status(why.code(), absl::StrCat(why.message(), "\nno backup was written to ", dir));
  };
  for (const Target& target : targets) {
    const std::string partial = (fs::path(dir) / (target.file + ".partial")).string();
    partials.push_back(partial);
    absl::StatusOr<v1::BackupFile> file = Receive(ctx, target, partial);
    if (!file.ok()) return abandon(file.status());
    *ctx.out << absl::StrFormat("%-11s %-22s %-10s sha256 %s  as of %s\n", target.name.short_name,
                                target.address, Megabytes(file->size_bytes()), file->sha256().substr(0, 16),
                                FormatTime(file->snapshot_time()));
    *manifest.add_files() = *std::move(file);
  }
  *manifest.mutable_finished() = ToTimestamp(absl::Now());
  const std::string manifest_path = (fs::path(dir) / kManifestFile).string();
  partials.push_back(manifest_path + ".partial");
  if (absl::Status s = WriteManifest(manifest, partials.back()); !s.ok()) return abandon(s);
  // The databases first, the manifest last: a directory holding manifest.json holds a whole backup.
  for (size_t i = 0; i < targets.size(); ++i) {
    if (absl::Status s = Rename(partials[i], (fs::path(dir) / targets[i].file).string()); !s.ok()) return s;
  }
  if (absl::Status s = Rename(partials.back(), manifest_path); !s.ok()) return s;
  if (absl::Status s = SyncPath(dir); !s.ok()) return s;
  *ctx.out << "backup written to " << dir << " (" << kManifestFile << ", "
           << absl::FormatDuration(FromTimestamp(manifest.finished()) - FromTimestamp(manifest.started()))
           << ")\n";
  return absl::OkStatus();
}

absl::StatusOr<v1::BackupManifest> ReadManifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / kManifestFile).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("no ", path, ": --from must name a directory luoshi admin backup finished"));
  }
  std::stringstream text;
  text << in.rdbuf();
  v1::BackupManifest manifest;
  if (auto s = google::protobuf::util::JsonStringToMessage(text.str(), &manifest); !s.ok()) {
    return absl::DataLossError(absl::StrCat(path, " is not a backup manifest: ", s.ToString()));
  }
  if (manifest.format() != kManifestFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " has format \"", manifest.format(), "\"; this luoshi reads ", kManifestFormat));
  }
  return manifest;
}

// The manifest's entry for `target`, its file checked: size, SHA-256, PRAGMA integrity_check, schema version.
absl::StatusOr<v1::BackupFile> CheckBackupFile(const v1::BackupManifest& manifest, const std::string& dir,
                                               const Target& target) {
  const v1::BackupFile* entry = nullptr;
  for (const auto& f : manifest.files()) {
    if (f.service() != target.name.short_name) continue;
    if (entry != nullptr)
      return absl::DataLossError(absl::StrCat("the manifest names ", f.service(), " twice"));
    entry = &f;
  }
  if (entry == nullptr)
    return absl::DataLossError(absl::StrCat("the manifest has no ", target.name.short_name, " database"));
  if (entry->file() != target.file) {
    return absl::DataLossError(absl::StrCat("the manifest's ", target.name.short_name, " file is \"",
                                            entry->file(), "\", not ", target.file));
  }
  const std::string path = (fs::path(dir) / entry->file()).string();
  std::error_code ec;
  const auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", ec.message()));
  if (size != entry->size_bytes()) {
    return absl::DataLossError(
        absl::StrCat(path, " has ", size, " bytes; the manifest says ", entry->size_bytes()));
  }
  absl::StatusOr<std::string> sha = Sha256OfFile(path);
  if (!sha.ok()) return sha.status();
  if (*sha != entry->sha256()) {
    return absl::DataLossError(
        absl::StrCat(path, " is damaged: SHA-256 ", *sha, ", the manifest says ", entry->sha256()));
  }
  if (absl::Status s = CheckDatabaseIntegrity(path); !s.ok()) return s;
  absl::StatusOr<int> version = DatabaseSchemaVersion(path);
  if (!version.ok()) return version.status();
  if (*version != entry->schema_version()) {
    return absl::DataLossError(absl::StrCat(path, " has schema version ", *version, "; the manifest says ",
                                            entry->schema_version()));
  }
  return *entry;
}

// FAILED_PRECONDITION when anything answers at a service's address: its database may be open.
absl::Status RequireStopped(const Target& target) {
  absl::StatusOr<std::string> state =
      CheckHealth(MakeChannel(target.address), target.name.full_name, absl::Seconds(2));
  if (!state.ok() && state.status().code() == absl::StatusCode::kUnavailable) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the ", target.name.short_name, " service still answers at ", target.address, " (",
                   state.ok() ? *state : std::string(state.status().message()),
                   "): stop every service before restoring; nothing was changed"));
}

absl::Status Restore(Context& ctx, const Args& args) {
  const std::string from = args.Get("from");
  if (from.empty()) return absl::InvalidArgumentError("--from DIR is required");
  const std::string data_dir = args.Get("data_dir", kDefaultDataDir);
  absl::StatusOr<v1::BackupManifest> manifest = ReadManifest(from);
  if (!manifest.ok()) return manifest.status();
  const std::vector<Target> targets = Targets(ctx);
  for (const Target& target : targets) {
    absl::StatusOr<v1::BackupFile> file = CheckBackupFile(*manifest, from, target);
    if (!file.ok()) return file.status();
    *ctx.out << absl::StrFormat("%-11s %-15s %-10s sha256 ok, integrity ok, as of %s\n",
                                target.name.short_name, target.file, Megabytes(file->size_bytes()),
                                FormatTime(file->snapshot_time()));
  }
  for (const Target& target : targets) {
    if (absl::Status s = RequireStopped(target); !s.ok()) return s;
  }
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", data_dir, ": ", ec.message()));
  for (const Target& target : targets) {
    const std::string aside = (fs::path(data_dir) / (target.file + ".before-restore")).string();
    if (fs::exists(aside, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          aside, " is left from an earlier restore: move or delete it first; nothing was changed"));
    }
  }
  // Copies first, under temporary names, so that a failed copy changes nothing.
  for (const Target& target : targets) {
    const std::string copy = (fs::path(data_dir) / (target.file + ".restoring")).string();
    fs::copy_file(fs::path(from) / target.file, copy, fs::copy_options::overwrite_existing, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot copy into ", copy, ": ", ec.message()));
    if (absl::Status s = SyncPath(copy); !s.ok()) return s;
  }
  // Then each database: the current file and its WAL aside, the stale shared-memory index away, the copy in.
  for (const Target& target : targets) {
    const std::string db = (fs::path(data_dir) / target.file).string();
    const std::string aside = db + ".before-restore";
    if (fs::exists(db, ec)) {
      if (absl::Status s = Rename(db, aside); !s.ok()) return s;
      *ctx.out << "kept the current " << target.file << " as " << aside << "\n";
    }
    for (const char* journal : {"-wal", "-journal"}) {
      if (fs::exists(db + journal, ec)) {
        if (absl::Status s = Rename(db + journal, aside + journal); !s.ok()) return s;
      }
    }
    fs::remove(db + "-shm", ec);
    if (absl::Status s = Rename(db + ".restoring", db); !s.ok()) return s;
  }
  if (absl::Status s = SyncPath(data_dir); !s.ok()) return s;
  *ctx.out << "restored " << from << " (backup of " << FormatTime(manifest->started()) << ") into "
           << data_dir << "; start the services on it\n";
  return absl::OkStatus();
}

absl::Status Admin(Context& ctx, const std::vector<std::string>& words) {
  if (words.empty()) return absl::InvalidArgumentError("choose one of: backup, restore");
  const bool backup = words[0] == "backup";
  if (!backup && words[0] != "restore") {
    return absl::InvalidArgumentError(absl::StrCat("unknown subcommand \"", words[0], "\""));
  }
  auto args = Args::Parse({words.begin() + 1, words.end()},
                          backup ? std::set<std::string>{"out"} : std::set<std::string>{"from", "data_dir"});
  if (!args.ok()) return args.status();
  if (!args->positional().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", args->positional()[0], "\""));
  }
  return backup ? Backup(ctx, *args) : Restore(ctx, *args);
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {{"admin",
           "luoshi admin backup --out DIR | restore --from DIR [--data_dir DIR (default data/local)]",
           "Online backup of every service's database (admin role); restore one with the services stopped.",
           Admin}};
}

}  // namespace luoshi::cli
