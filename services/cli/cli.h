// The `luoshi` command-line client: shared pieces of its subcommands.
//
// Every subcommand is a function taking the parsed arguments and a Context (peer addresses, caller
// identity, output stream). Addresses default to the quick start's loopback ports and can be changed
// with --ingestion_addr/--indicators_addr/--tasks_addr/--gateway_addr or LUOSHI_* environment variables;
// the identity comes from the credential file the quick start writes (see credentials.h).
#ifndef LUOSHI_SERVICES_CLI_CLI_H_
#define LUOSHI_SERVICES_CLI_CLI_H_

#include <grpcpp/client_context.h>

#include <functional>
#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/identity.h"

namespace luoshi::cli {

// Command-line words after the subcommand: positional words and --name[=value] options.
class Args {
 public:
  // `known` lists the accepted option names (without "--"); `boolean` those that take no value.
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& words, const std::set<std::string>& known,
                                    const std::set<std::string>& boolean = {});
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return options_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  absl::StatusOr<int> GetInt(const std::string& name, int fallback) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> options_;
};

struct Context {
  std::string ingestion_addr;
  std::string indicators_addr;
  std::string tasks_addr;
  std::string gateway_addr;
  std::string token;             // the caller's signed token ("" when not signed in)
  std::string credentials_path;  // where luoshi login writes it
  absl::Duration timeout = absl::Seconds(30);
  std::ostream* out;
  std::ostream* err;

  // A ClientContext with the deadline and the caller's token attached.
  void Prepare(grpc::ClientContext* context) const;
};

struct Command {
  const char* name;
  const char* usage;    // "luoshi health"
  const char* summary;  // one line
  std::function<absl::Status(Context&, const std::vector<std::string>&)> run;
};

// Registered in commands_*.cc.
std::vector<Command> HealthCommands();
std::vector<Command> ExtractCommands();
std::vector<Command> IngestCommands();
std::vector<Command> IndicatorCommands();
std::vector<Command> TaskCommands();
std::vector<Command> TokenCommands();
std::vector<Command> AdminCommands();

// Turns a failed RPC into a message naming the service and what to do.
absl::Status RpcError(const std::string& service, const std::string& address, const grpc::Status& status);

}  // namespace luoshi::cli

#endif  // LUOSHI_SERVICES_CLI_CLI_H_
