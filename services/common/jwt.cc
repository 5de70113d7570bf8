#include "services/common/jwt.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/files.h"
#include "services/common/status_macros.h"
#include "services/common/utf8.h"

namespace luoshi {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("token refused: ", why));
}

// Reads a PEM public key, or the public half of a PEM private key.
Pkey ReadKey(const std::string& pem, bool want_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                BIO_free);
  if (!bio) return nullptr;
  EVP_PKEY* key = nullptr;
  if (absl::StrContains(pem, "PRIVATE KEY")) {
    key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  } else if (!want_private) {
    key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  }
  if (key == nullptr) return nullptr;
  Pkey owned(key);
  // P-256 only.
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return nullptr;
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &len) != 1 ||
      std::string(group) != "prime256v1") {
    return nullptr;
  }
  return owned;
}

std::string PublicDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string KeyId(EVP_PKEY* key) {
  const std::string der = PublicDer(key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 8));
}

std::string B64Url(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

bool FromB64Url(absl::string_view text, std::string* out) {
  if (text.empty() || absl::StrContains(text, "=")) return false;
  return absl::WebSafeBase64Unescape(text, out);
}

absl::StatusOr<Struct> ParseObject(const std::string& json, const char* what) {
  if (!IsValidUtf8(json)) return Unauthenticated(absl::StrCat("the ", what, " is not valid UTF-8"));
  Struct object;
  if (!google::protobuf::util::JsonStringToMessage(json, &object).ok()) {
    return Unauthenticated(absl::StrCat("the ", what, " is not a JSON object"));
  }
  return object;
}

std::string Json(const Struct& object) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(object, &out);
  return out;
}

const Value* Field(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

absl::Status StringClaim(const Struct& s, const char* name, bool required, std::string* out) {
  const Value* v = Field(s, name);
  if (v == nullptr)
    return required ? Unauthenticated(absl::StrCat("claim ", name, " is missing")) : absl::OkStatus();
  if (v->kind_case() != Value::kStringValue)
    return Unauthenticated(absl::StrCat("claim ", name, " is not a string"));
  *out = v->string_value();
  return absl::OkStatus();
}

absl::Status TimeClaim(const Struct& s, const char* name, bool required, absl::Time* out) {
  const Value* v = Field(s, name);
  if (v == nullptr)
    return required ? Unauthenticated(absl::StrCat("claim ", name, " is missing")) : absl::OkStatus();
  if (v->kind_case() != Value::kNumberValue || !std::isfinite(v->number_value()) || v->number_value() < 0 ||
      v->number_value() > 1e12) {
    return Unauthenticated(absl::StrCat("claim ", name, " is not a time in seconds"));
  }
  *out = absl::FromUnixSeconds(static_cast<int64_t>(v->number_value()));
  return absl::OkStatus();
}

struct Parts {
  std::string signing_input;  // header.payload as sent
  Struct header;
  Struct payload;
  std::string signature;
};

absl::StatusOr<Parts> Split(const std::string& token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauthenticated("malformed: a JWT is header.payload.signature");
  Parts out;
  std::string header, payload;
  if (!FromB64Url(parts[0], &header) || !FromB64Url(parts[1], &payload) ||
      !FromB64Url(parts[2], &out.signature)) {
    return Unauthenticated("malformed: a part is not unpadded base64url");
  }
  LUOSHI_ASSIGN_OR_RETURN(out.header, ParseObject(header, "header"));
  LUOSHI_ASSIGN_OR_RETURN(out.payload, ParseObject(payload, "payload"));
  out.signing_input = absl::StrCat(parts[0], ".", parts[1]);
  return out;
}

absl::StatusOr<TokenClaims> ClaimsOf(const Parts& parts) {
  TokenClaims c;
  LUOSHI_RETURN_IF_ERROR(StringClaim(parts.header, "kid", true, &c.key_id));
  LUOSHI_RETURN_IF_ERROR(StringClaim(parts.payload, "sub", true, &c.subject));
  LUOSHI_RETURN_IF_ERROR(StringClaim(parts.payload, "luoshi_unit", false, &c.unit));
  LUOSHI_RETURN_IF_ERROR(StringClaim(parts.payload, "luoshi_role", true, &c.role));
  LUOSHI_RETURN_IF_ERROR(StringClaim(parts.payload, "jti", true, &c.token_id));
  LUOSHI_RETURN_IF_ERROR(TimeClaim(parts.payload, "iat", true, &c.issued_at));
  LUOSHI_RETURN_IF_ERROR(TimeClaim(parts.payload, "exp", true, &c.expires_at));
  LUOSHI_RETURN_IF_ERROR(TimeClaim(parts.payload, "nbf", false, &c.not_before));
  if (c.subject.empty()) return Unauthenticated("claim sub is empty");
  if (!IsTokenRole(c.role))
    return Unauthenticated(absl::StrCat("claim luoshi_role \"", c.role, "\" is not a role"));
  return c;
}

// ES256 signatures are R || S, 32 bytes each (RFC 7518 §3.4); OpenSSL speaks DER.
std::string DerToRaw(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return "";
  std::string raw(64, '\0');
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string RawToDer(const std::string& raw) {
  if (raw.size() != 64) return "";
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string RandomHex(int bytes) {
  std::string buf(static_cast<size_t>(bytes), '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), bytes);
  return absl::BytesToHexString(buf);
}

}  // namespace

bool IsTokenRole(const std::string& role) {
  return role == "admin" || role == "supervisor" || role == "office" || role == "viewer" || role == "service";
}

absl::StatusOr<KeyPairPem> GenerateKeyPair() {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError("OpenSSL could not generate a P-256 key");
  auto pem_of = [&](bool priv) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (priv) {
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio.get(), key.get());
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  };
  return KeyPairPem{pem_of(true), pem_of(false), KeyId(key.get())};
}

absl::StatusOr<KeyPairPem> WriteNewKeyPair(const std::string& dir) {
  LUOSHI_ASSIGN_OR_RETURN(KeyPairPem pair, GenerateKeyPair());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string priv = absl::StrCat(dir, "/", pair.key_id, ".private.pem");
  const std::string pub = absl::StrCat(dir, "/", pair.key_id, ".public.pem");
  {
    std::ofstream out(priv, std::ios::binary | std::ios::trunc);
    out << pair.private_pem;
    if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", priv));
  }
  std::filesystem::permissions(priv, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               ec);
  std::ofstream out(pub, std::ios::binary | std::ios::trunc);
  out << pair.public_pem;
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", pub));
  return pair;
}

absl::StatusOr<std::string> KeyIdOf(const std::string& pem) {
  Pkey key = ReadKey(pem, false);
  if (!key) return absl::InvalidArgumentError("not a PEM P-256 public or private key");
  return KeyId(key.get());
}

absl::StatusOr<std::string> IssueToken(TokenClaims claims, const std::string& private_pem, absl::Time now) {
  Pkey key = ReadKey(private_pem, true);
  if (!key) return absl::InvalidArgumentError("the signing key is not a PEM P-256 private key");
  if (!IsTokenRole(claims.role))
    return absl::InvalidArgumentError(absl::StrCat("\"", claims.role, "\" is not a role"));
  if (claims.subject.empty()) return absl::InvalidArgumentError("a token needs a user (sub)");
  if (!IsValidUtf8(claims.subject) || !IsValidUtf8(claims.unit))
    return absl::InvalidArgumentError("user and unit must be UTF-8");
  if (claims.token_id.empty()) claims.token_id = RandomHex(16);
  if (claims.issued_at == absl::InfinitePast()) claims.issued_at = now;
  Struct header;
  (*header.mutable_fields())["alg"].set_string_value("ES256");
  (*header.mutable_fields())["typ"].set_string_value("JWT");
  (*header.mutable_fields())["kid"].set_string_value(KeyId(key.get()));
  Struct payload;
  auto& f = *payload.mutable_fields();
  f["sub"].set_string_value(claims.subject);
  if (!claims.unit.empty()) f["luoshi_unit"].set_string_value(claims.unit);
  f["luoshi_role"].set_string_value(claims.role);
  f["iat"].set_number_value(static_cast<double>(absl::ToUnixSeconds(claims.issued_at)));
  f["exp"].set_number_value(static_cast<double>(absl::ToUnixSeconds(claims.expires_at)));
  if (claims.not_before != absl::InfinitePast()) {
    f["nbf"].set_number_value(static_cast<double>(absl::ToUnixSeconds(claims.not_before)));
  }
  f["jti"].set_string_value(claims.token_id);
  const std::string input = absl::StrCat(B64Url(Json(header)), ".", B64Url(Json(payload)));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return absl::InternalError("OpenSSL could not sign the token");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return absl::InternalError("OpenSSL could not sign the token");
  }
  der.resize(len);
  return absl::StrCat(input, ".", B64Url(DerToRaw(der)));
}

absl::StatusOr<TokenClaims> DecodeTokenUnverified(const std::string& token) {
  LUOSHI_ASSIGN_OR_RETURN(Parts parts, Split(std::string(absl::StripAsciiWhitespace(token))));
  return ClaimsOf(parts);
}

struct TokenVerifier::Key {
  Pkey key;
};

TokenVerifier::TokenVerifier() = default;
TokenVerifier::~TokenVerifier() = default;

absl::Status TokenVerifier::AddPublicKey(const std::string& pem) {
  Pkey key = ReadKey(pem, false);
  if (!key) return absl::InvalidArgumentError("not a PEM P-256 public or private key");
  auto entry = std::make_shared<Key>();
  const std::string kid = KeyId(key.get());
  entry->key = std::move(key);
  absl::MutexLock lock(&mu_);
  keys_[kid] = std::move(entry);
  return absl::OkStatus();
}

absl::Status TokenVerifier::LoadKeyDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the key directory ", dir, ": ", ec.message()));
  int loaded = 0;
  for (const auto& entry : it) {
    if (entry.path().extension() != ".pem") continue;
    LUOSHI_ASSIGN_OR_RETURN(std::string pem, ReadFileToString(entry.path().string(), "key"));
    if (absl::Status s = AddPublicKey(pem); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(entry.path().string(), ": ", s.message()));
    }
    ++loaded;
  }
  if (loaded == 0) return absl::InvalidArgumentError(absl::StrCat("no *.pem key in ", dir));
  return absl::OkStatus();
}

int TokenVerifier::key_count() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(keys_.size());
}

void TokenVerifier::SetRevocationFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  revocation_path_ = path;
  revocation_checked_ = absl::InfinitePast();
  revocation_stamp_.clear();
  revoked_.clear();
}

bool TokenVerifier::IsRevoked(const std::string& jti, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (revocation_path_.empty()) return false;
  if (now - revocation_checked_ >= absl::Seconds(1)) {
    revocation_checked_ = now;
    struct stat st {};
    std::string stamp;
    if (stat(revocation_path_.c_str(), &st) == 0) {
      stamp = absl::StrCat(st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "/", st.st_size);
    }
    if (stamp != revocation_stamp_) {
      revocation_stamp_ = stamp;
      revoked_.clear();
      if (absl::StatusOr<std::string> text = ReadFileToString(revocation_path_, "revocation list");
          text.ok()) {
        for (absl::string_view line : absl::StrSplit(*text, '\n')) {
          line = absl::StripAsciiWhitespace(line);
          if (!line.empty() && line[0] != '#') revoked_.insert(std::string(line));
        }
      }
    }
  }
  return revoked_.count(jti) > 0;
}

absl::StatusOr<TokenClaims> TokenVerifier::Verify(const std::string& token, absl::Time now) const {
  if (token.empty()) return Unauthenticated("no token");
  LUOSHI_ASSIGN_OR_RETURN(Parts parts, Split(token));
  const Value* alg = Field(parts.header, "alg");
  if (alg == nullptr || alg->kind_case() != Value::kStringValue)
    return Unauthenticated("the header names no algorithm");
  if (alg->string_value() != "ES256") {
    return Unauthenticated(
        absl::StrCat("algorithm \"", alg->string_value(), "\" is not accepted; tokens are ES256"));
  }
  LUOSHI_ASSIGN_OR_RETURN(TokenClaims claims, ClaimsOf(parts));
  std::shared_ptr<Key> key;
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(claims.key_id);
    if (it != keys_.end()) key = it->second;
  }
  if (!key)
    return Unauthenticated(absl::StrCat("key id \"", claims.key_id, "\" is not one of this service's keys"));
  const std::string der = RawToDer(parts.signature);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (der.empty() || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(parts.signing_input.data()),
                       parts.signing_input.size()) != 1) {
    return Unauthenticated("the signature does not verify (forged or altered)");
  }
  if (claims.expires_at + kTokenClockSkew < now) {
    return Unauthenticated(absl::StrCat(
        "expired at ", absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", claims.expires_at, absl::UTCTimeZone())));
  }
  if (claims.not_before != absl::InfinitePast() && claims.not_before - kTokenClockSkew > now) {
    return Unauthenticated("not valid yet (nbf is in the future)");
  }
  if (claims.issued_at - kTokenClockSkew > now) return Unauthenticated("issued in the future (iat)");
  if (IsRevoked(claims.token_id, now))
    return Unauthenticated(absl::StrCat("token ", claims.token_id, " is revoked"));
  return claims;
}

}  // namespace luoshi
