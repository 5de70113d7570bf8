// luoshi key generate / token issue / token inspect / login / whoami: signing keys and identity tokens
// (services/common/jwt.h). These run locally and call no service.
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/cli/cli.h"
#include "services/cli/credentials.h"
#include "services/common/files.h"
#include "services/common/jwt.h"
#include "services/common/time.h"

namespace luoshi::cli {
namespace {

// "90d", "12h", "30m", "45s" (or anything absl::ParseDuration reads, e.g. "1h30m").
absl::StatusOr<absl::Duration> ParseLifetime(const std::string& text) {
  absl::string_view days = text;
  int64_t n = 0;
  if (absl::ConsumeSuffix(&days, "d") && absl::SimpleAtoi(days, &n) && n > 0) return absl::Hours(24 * n);
  absl::Duration d;
  if (absl::ParseDuration(text, &d) && d > absl::ZeroDuration()) return d;
  return absl::InvalidArgumentError(
      absl::StrCat("--expires \"", text, "\" is not a lifetime such as 90d, 12h or 30m"));
}

std::string When(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S %Ez", t, DisplayZone()); }

absl::Status Key(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {});
  if (!args.ok()) return args.status();
  if (args->positional().size() != 2 || args->positional()[0] != "generate") {
    return absl::InvalidArgumentError("usage: luoshi key generate DIR");
  }
  const std::string& dir = args->positional()[1];
  auto pair = WriteNewKeyPair(dir);
  if (!pair.ok()) return pair.status();
  *ctx.out << "key " << pair->key_id << "\n  private (keep it with whoever issues tokens): " << dir << "/"
           << pair->key_id << ".private.pem\n  public (give it to every service's key directory): " << dir
           << "/" << pair->key_id << ".public.pem\n";
  return absl::OkStatus();
}

absl::Status Issue(Context& ctx, const Args& args) {
  if (!args.Has("key")) return absl::InvalidArgumentError("luoshi token issue needs --key PRIVATE_KEY_FILE");
  auto pem = ReadFileToString(args.Get("key"), "key");
  if (!pem.ok()) return pem.status();
  auto lifetime = ParseLifetime(args.Get("expires", "90d"));
  if (!lifetime.ok()) return lifetime.status();
  const absl::Time now = absl::Now();
  TokenClaims claims;
  claims.subject = args.Get("user");
  claims.unit = args.Get("unit");
  claims.role = args.Get("role");
  claims.expires_at = now + *lifetime;
  if (claims.role == "office" && claims.unit.empty())
    return absl::InvalidArgumentError("an office token needs --unit");
  auto token = IssueToken(claims, *pem, now);
  if (!token.ok()) return token.status();
  *ctx.out << *token << "\n";
  return absl::OkStatus();
}

absl::Status Inspect(Context& ctx, const Args& args) {
  if (args.positional().size() != 2)
    return absl::InvalidArgumentError("usage: luoshi token inspect TOKEN [--keys DIR]");
  const std::string token(absl::StripAsciiWhitespace(args.positional()[1]));
  auto claims = DecodeTokenUnverified(token);
  if (!claims.ok()) return claims.status();
  *ctx.out << "user:     " << claims->subject << "\nunit:     " << (claims->unit.empty() ? "-" : claims->unit)
           << "\nrole:     " << claims->role << "\nissued:   " << When(claims->issued_at)
           << "\nexpires:  " << When(claims->expires_at) << "\nkey id:   " << claims->key_id
           << "\ntoken id: " << claims->token_id << "\n";
  if (!args.Has("keys")) {
    const bool expired = claims->expires_at + kTokenClockSkew < absl::Now();
    *ctx.out << "valid:    "
             << (expired ? "no, expired" : "not expired (signature not checked: give --keys DIR)") << "\n";
    return absl::OkStatus();
  }
  TokenVerifier verifier;
  if (absl::Status s = verifier.LoadKeyDirectory(args.Get("keys")); !s.ok()) return s;
  auto verified = verifier.Verify(token, absl::Now());
  *ctx.out << "valid:    " << (verified.ok() ? "yes" : absl::StrCat("no, ", verified.status().message()))
           << "\n";
  return absl::OkStatus();
}

absl::Status Token(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {"user", "unit", "role", "expires", "key", "keys"});
  if (!args.ok()) return args.status();
  const std::string sub = args->positional().empty() ? "" : args->positional()[0];
  if (sub == "issue" && args->positional().size() == 1) return Issue(ctx, *args);
  if (sub == "inspect") return Inspect(ctx, *args);
  return absl::InvalidArgumentError(
      "usage: luoshi token issue --user NAME [--unit UNIT] --role ROLE [--expires 90d] --key FILE | "
      "luoshi token inspect TOKEN [--keys DIR]");
}

absl::Status Login(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {"token", "file"});
  if (!args.ok()) return args.status();
  if (!args->Has("token") || !args->positional().empty()) {
    return absl::InvalidArgumentError("usage: luoshi login --token TOKEN [--file FILE]");
  }
  const std::string token(absl::StripAsciiWhitespace(args->Get("token")));
  // The CLI holds no keys: it checks the form and the expiry, the services check the signature.
  auto claims = DecodeTokenUnverified(token);
  if (!claims.ok()) return claims.status();
  if (claims->expires_at + kTokenClockSkew < absl::Now()) {
    return absl::InvalidArgumentError(absl::StrCat("this token expired at ", When(claims->expires_at),
                                                   "; ask for a new one"));
  }
  const std::string path = args->Get("file", ctx.credentials_path.empty() ? DefaultCredentialsPath()
                                                                          : ctx.credentials_path);
  if (absl::Status s = WriteCredentials(path, token); !s.ok()) return s;
  *ctx.out << "signed in as " << claims->subject << " (" << claims->role
           << (claims->unit.empty() ? "" : ", " + claims->unit) << "), token valid until "
           << When(claims->expires_at) << "; credentials in " << path << "\n";
  return absl::OkStatus();
}

absl::Status WhoAmI(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {});
  if (!args.ok()) return args.status();
  if (ctx.token.empty()) {
    return absl::UnauthenticatedError("not signed in: luoshi login --token TOKEN (the quick start prints tokens)");
  }
  auto claims = DecodeTokenUnverified(ctx.token);
  if (!claims.ok()) return claims.status();
  const bool expired = claims->expires_at + kTokenClockSkew < absl::Now();
  *ctx.out << "user:    " << claims->subject << "\nrole:    " << claims->role
           << "\nunit:    " << (claims->unit.empty() ? "-" : claims->unit) << "\nexpires: "
           << When(claims->expires_at) << (expired ? " (expired: sign in again)" : "") << "\ntoken:   "
           << claims->token_id << "\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> TokenCommands() {
  return {{"key", "luoshi key generate DIR",
           "Writes a new ES256 signing key pair (DIR/<kid>.private.pem, DIR/<kid>.public.pem).", Key},
          {"token",
           "luoshi token issue --user NAME [--unit UNIT] --role admin|supervisor|office|viewer|service "
           "[--expires 90d] --key FILE | inspect TOKEN [--keys DIR]",
           "Prints a signed identity token, or a token's claims and whether it is valid.", Token},
          {"login", "luoshi login --token TOKEN [--file FILE]",
           "Signs the CLI in: stores the token in the credential file it sends with every call.", Login},
          {"whoami", "luoshi whoami", "Shows who the CLI's token says it is, and until when.", WhoAmI}};
}

}  // namespace luoshi::cli
