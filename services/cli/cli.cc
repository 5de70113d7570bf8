#include "services/cli/cli.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace luoshi::cli {

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& words, const std::set<std::string>& known,
                                 const std::set<std::string>& boolean) {
  Args args;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!absl::StartsWith(w, "--") || w == "--") {
      args.positional_.push_back(w);
      continue;
    }
    std::string name = w.substr(2), value;
    size_t eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (!known.count(name) && !boolean.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
    if (boolean.count(name)) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      if (!has_value) value = "true";
    } else if (!has_value) {
      if (i + 1 >= words.size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = words[++i];
    }
    args.options_[name] = value;
  }
  return args;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = options_.find(name);
  return it == options_.end() ? fallback : it->second;
}

absl::StatusOr<int> Args::GetInt(const std::string& name, int fallback) const {
  auto it = options_.find(name);
  if (it == options_.end()) return fallback;
  int v;
  if (!absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be a whole number, not \"", it->second, "\""));
  }
  return v;
}

void Context::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) AttachToken(token, context);
}

absl::Status RpcError(const std::string& service, const std::string& address, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(absl::StrCat("cannot reach the ", service, " service at ", address,
                                               ": is it running? (", status.error_message(), ")"));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(
        absl::StrCat("the ", service, " service at ", address, " did not answer in time"));
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace luoshi::cli
