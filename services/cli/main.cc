// luoshi: the command-line client for offices and administrators.
//   luoshi [global options] COMMAND [options] [arguments]
// Global options: --ingestion_addr, --indicators_addr, --tasks_addr, --gateway_addr, --timeout SECONDS,
// --credentials FILE, --token TOKEN, --tls_*. Each also reads LUOSHI_<NAME> from the environment.
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/cli/cli.h"
#include "services/cli/credentials.h"
#include "services/common/flags.h"
#include "services/common/server.h"

namespace luoshi::cli {
namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group : {HealthCommands, ExtractCommands, IngestCommands, IndicatorCommands, TaskCommands, TokenCommands,
                     AdminCommands}) {
    for (auto& c : group()) all.push_back(std::move(c));
  }
  return all;
}

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

void PrintUsage(std::ostream& out) {
  out << "luoshi: the Luoshi (落实) command-line client\n\n"
         "usage: luoshi [global options] COMMAND [options] [arguments]\n\ncommands:\n";
  for (const auto& c : AllCommands()) out << "  " << c.usage << "\n      " << c.summary << "\n";
  out << "\nglobal options (also LUOSHI_<NAME> environment variables):\n"
         "  --ingestion_addr, --indicators_addr, --tasks_addr, --gateway_addr  host:port of each service\n"
         "  --timeout SECONDS   deadline of each call (default 30)\n"
         "  --tls_ca FILE       CA of the services' certificates: TLS instead of plaintext\n"
         "  --tls_cert FILE, --tls_key FILE  client certificate, for services that require mutual TLS\n"
         "  --credentials FILE  file holding the token (default "
      << DefaultCredentialsPath() << "; luoshi login writes it)\n"
         "  --token TOKEN       sign in with this token instead of the file's\n";
}

int Run(int argc, char** argv) {
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.ingestion_addr = Env("LUOSHI_INGESTION_ADDR", kDefaultIngestionAddress);
  ctx.indicators_addr = Env("LUOSHI_INDICATORS_ADDR", kDefaultIndicatorsAddress);
  ctx.tasks_addr = Env("LUOSHI_TASKS_ADDR", kDefaultTasksAddress);
  ctx.gateway_addr = Env("LUOSHI_GATEWAY_ADDR", kDefaultGatewayAddress);
  std::string credentials = DefaultCredentialsPath();
  std::string token = Env("LUOSHI_TOKEN", "");
  // TLS to the services (services/common/server.h reads these flags): CA, and a client certificate for
  // mutual TLS. Environment first, the command line wins.
  absl::SetFlag(&FLAGS_tls_ca, Env("LUOSHI_TLS_CA", ""));
  absl::SetFlag(&FLAGS_tls_cert, Env("LUOSHI_TLS_CERT", ""));
  absl::SetFlag(&FLAGS_tls_key, Env("LUOSHI_TLS_KEY", ""));
  std::vector<std::string> words(argv + 1, argv + argc);
  // Global options come before the command word.
  size_t i = 0;
  for (; i < words.size() && words[i].rfind("--", 0) == 0; ++i) {
    std::string w = words[i].substr(2), value;
    if (w == "help") {
      PrintUsage(std::cout);
      return 0;
    }
    size_t eq = w.find('=');
    if (eq != std::string::npos) {
      value = w.substr(eq + 1);
      w = w.substr(0, eq);
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      std::cerr << "luoshi: --" << w << " needs a value\n";
      return 2;
    }
    if (w == "ingestion_addr") ctx.ingestion_addr = value;
    else if (w == "indicators_addr") ctx.indicators_addr = value;
    else if (w == "tasks_addr") ctx.tasks_addr = value;
    else if (w == "gateway_addr") ctx.gateway_addr = value;
    else if (w == "credentials") credentials = value;
    else if (w == "token") token = value;
    else if (w == "tls_ca") absl::SetFlag(&FLAGS_tls_ca, value);
    else if (w == "tls_cert") absl::SetFlag(&FLAGS_tls_cert, value);
    else if (w == "tls_key") absl::SetFlag(&FLAGS_tls_key, value);
    else if (w == "timeout") {
      int seconds;
      if (!absl::SimpleAtoi(value, &seconds) || seconds <= 0) {
        std::cerr << "luoshi: --timeout must be a positive number of seconds\n";
        return 2;
      }
      ctx.timeout = absl::Seconds(seconds);
    } else {
      std::cerr << "luoshi: unknown global option --" << w << " (see luoshi --help)\n";
      return 2;
    }
  }
  if (i >= words.size()) {
    PrintUsage(std::cerr);
    return 2;
  }
  ctx.credentials_path = credentials;
  absl::StatusOr<CredentialFile> stored = ReadCredentials(credentials);
  if (!stored.ok() && stored.status().code() != absl::StatusCode::kNotFound) {
    // Not fatal: `luoshi login` is how such a file gets fixed. Calls go out unsigned and are refused.
    std::cerr << "luoshi: ignoring " << stored.status().message() << "\n";
  }
  if (stored.ok()) {
    // The file's TLS settings apply where neither the command line nor the environment gave one.
    for (auto [flag, value] : {std::pair{&FLAGS_tls_ca, stored->tls_ca}, std::pair{&FLAGS_tls_cert, stored->tls_cert},
                               std::pair{&FLAGS_tls_key, stored->tls_key}}) {
      if (absl::GetFlag(*flag).empty()) absl::SetFlag(flag, value);
    }
    if (token.empty()) token = stored->token;
  }
  ctx.token = token;
  if (auto tls = ChannelCredentialsFromFlags(); !tls.ok()) {  // fail closed: never fall back to plaintext
    std::cerr << "luoshi: " << tls.status().message() << "\n";
    return 2;
  }
  const std::string name = words[i];
  std::vector<std::string> rest(words.begin() + i + 1, words.end());
  for (const auto& c : AllCommands()) {
    if (name != c.name) continue;
    absl::Status s = c.run(ctx, rest);
    if (s.ok()) return 0;
    std::cerr << "luoshi " << name << ": " << s.message() << "\n";
    if (s.code() == absl::StatusCode::kInvalidArgument) std::cerr << "usage: " << c.usage << "\n";
    return 1;
  }
  std::cerr << "luoshi: unknown command \"" << name << "\" (see luoshi --help)\n";
  return 2;
}

}  // namespace
}  // namespace luoshi::cli

int main(int argc, char** argv) { return luoshi::cli::Run(argc, argv); }
