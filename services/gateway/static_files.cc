#include "services/gateway/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "services/common/fnv.h"

namespace luoshi::gateway {

// What a request can be answered with for one version of one file. The identity fields say which
// version on disk it was read from; ctime is among them because a rewrite that keeps size and mtime
// (cp -p, rsync -t) still moves ctime.
struct StaticFiles::File {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  std::string content_type;
  bool compressible = false;
  std::string body;
  std::string etag;
  std::string gzip_body;  // empty when not worth sending compressed
  std::string gzip_etag;

  size_t Bytes() const { return body.size() + gzip_body.size(); }
};

namespace {

constexpr char kFallbackPage[] = R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Luoshi 落实</title></head>
<body><h1>Luoshi 落实</h1>
<p>The gateway is running, but the browser client has not been built (client-web/dist is missing).
Run <code>npm run build</code> in client-web, or use the <code>luoshi</code> command.</p>
<p>Service health: <a href="/healthz">/healthz</a></p></body></html>
)";

// Vite names everything under /assets/ by content hash, so a URL there never changes meaning; the rest
// (index.html above all) must be revalidated so a rebuilt client is seen on the next load.
constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kNoCache[] = "no-cache";

// Below this, gzip's header and the extra work cost more than the bytes saved.
constexpr size_t kMinGzipSize = 1024;

int64_t Nanos(const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %-escapes and refuses anything that could name a file outside the root or confuse the file
// system: the checks run on the decoded bytes, so "%2e%2e" and "%5c" are caught like ".." and "\".
std::optional<std::string> DecodeUrlPath(absl::string_view url_path) {
  if (url_path.empty() || url_path[0] != '/') return std::nullopt;
  std::string out;
  out.reserve(url_path.size());
  for (size_t i = 0; i < url_path.size(); ++i) {
    char c = url_path[i];
    if (c == '%') {
      if (url_path.size() - i < 3) return std::nullopt;  // needs two hex digits after it
      int hi = HexValue(url_path[i + 1]);
      int lo = HexValue(url_path[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return std::nullopt;
    out.push_back(c);
  }
  for (absl::string_view segment : absl::StrSplit(out, '/')) {
    if (segment == "." || segment == "..") return std::nullopt;
  }
  return out;
}

absl::string_view LastSegment(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// The types worth compressing: text and the textual application types, plus wasm, which shrinks well.
bool IsCompressible(absl::string_view content_type) {
  return absl::StartsWith(content_type, "text/") || absl::StrContains(content_type, "javascript") ||
         absl::StrContains(content_type, "json") || absl::StrContains(content_type, "xml") ||
         absl::StrContains(content_type, "wasm");
}

// True when an Accept-Encoding value admits gzip: "gzip" (or the legacy "x-gzip") with a q above 0, or
// failing an explicit entry, "*" with a q above 0. A malformed q counts as refusal, since sending the
// identity encoding is always safe.
bool AcceptsGzip(absl::string_view accept_encoding) {
  std::optional<double> gzip_q;
  std::optional<double> star_q;
  for (absl::string_view item : absl::StrSplit(accept_encoding, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    std::string coding = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    double q = 1.0;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        if (!absl::SimpleAtod(param.substr(2), &q) || !(q >= 0.0)) q = 0.0;
      }
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_q = std::max(gzip_q.value_or(0.0), q);
    } else if (coding == "*") {
      star_q = q;
    }
  }
  if (gzip_q.has_value()) return *gzip_q > 0.0;
  return star_q.value_or(0.0) > 0.0;
}

// If-None-Match uses the weak comparison (RFC 9110 13.1.2), so a W/ prefix on the client's side does not
// stop a match; "*" matches any current representation.
bool ETagMatches(absl::string_view if_none_match, absl::string_view etag) {
  for (absl::string_view candidate : absl::StrSplit(if_none_match, ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    if (candidate == "*") return true;
    absl::ConsumePrefix(&candidate, "W/");
    if (candidate == etag) return true;
  }
  return false;
}

// A gzip member (RFC 1952) of `data`, or nothing when zlib fails. Done once per file version, so the
// best compression level is worth its time.
std::optional<std::string> Gzip(absl::string_view data) {
  if (data.size() > UINT_MAX / 2) return std::nullopt;  // one deflate call takes a uInt of input
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  // deflateBound guarantees room for the whole stream, so a single Z_FINISH completes it.
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string QuotedTag(uint64_t hash, size_t size, absl::string_view suffix) {
  return absl::StrCat("\"", absl::Hex(hash, absl::kZeroPad16), "-", absl::Hex(size), suffix, "\"");
}

// Reads the whole regular file at `path` into `body`, with `st` taken from the open descriptor so that it
// describes the bytes read even if the path is replaced meanwhile. False when it cannot be read.
bool ReadWhole(const std::string& path, struct stat* st, std::string* body) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fstat(fd, st) == 0 && S_ISREG(st->st_mode);
  if (ok) {
    body->resize(static_cast<size_t>(st->st_size));
    size_t done = 0;
    while (done < body->size()) {
      ssize_t n = read(fd, body->data() + done, body->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the file shrank while we read; keep what is there
      done += static_cast<size_t>(n);
    }
    body->resize(done);
    // A file that grew meanwhile is served as first seen; the next request sees the new stat and reloads.
  }
  close(fd);
  return ok;
}

}  // namespace

StaticFiles::StaticFiles(std::string root) : StaticFiles(std::move(root), Limits()) {}

StaticFiles::StaticFiles(std::string root, Limits limits) : root_(std::move(root)), limits_(limits) {}

StaticFiles::~StaticFiles() = default;

size_t StaticFiles::CachedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_bytes_;
}

HttpResponse StaticFiles::Serve(const HttpRequest& request) const {
  std::optional<std::string> path = DecodeUrlPath(request.Path());
  if (!path.has_value()) return TextResponse(400, "bad path");
  const bool under_assets = absl::StartsWith(*path, "/assets/");
  const std::string relative = *path == "/" ? "/index.html" : *path;

  Lookup found = Find(root_ + relative);
  if (found.error) return TextResponse(500, "cannot read file");
  if (found.file) return Respond(*found.file, request, under_assets ? kImmutable : kNoCache);

  // Not a regular file. A hashed asset that is missing is a stale or wrong URL, and so is any name with
  // an extension; a bare path like /documents/42 is a client-side route that index.html resolves.
  if (under_assets) return TextResponse(404, "not found");
  if (relative != "/index.html" && absl::StrContains(LastSegment(relative), '.')) {
    return TextResponse(404, "not found");
  }
  Lookup index = Find(root_ + "/index.html");
  if (index.error) return TextResponse(500, "cannot read file");
  if (index.file) return Respond(*index.file, request, kNoCache);

  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.headers["cache-control"] = kNoCache;
  r.body = kFallbackPage;
  return r;
}

StaticFiles::Lookup StaticFiles::Find(const std::string& path) const {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  auto same_version = [&st](const File& f) {
    return f.dev == st.st_dev && f.ino == st.st_ino && f.size == st.st_size &&
           f.mtime_ns == Nanos(st.st_mtim) && f.ctime_ns == Nanos(st.st_ctim);
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(path);
    if (it != cache_.end() && same_version(*it->second.file)) {
      it->second.last_used = ++tick_;
      return {it->second.file, false};
    }
  }

  // Read and compress outside the lock: other files keep being served meanwhile. Two requests racing for
  // the same new version both do the work once; the second insert simply replaces the first.
  auto file = std::make_shared<File>();
  if (!ReadWhole(path, &st, &file->body)) return {nullptr, true};
  file->dev = st.st_dev;
  file->ino = st.st_ino;
  file->size = st.st_size;
  file->mtime_ns = Nanos(st.st_mtim);
  file->ctime_ns = Nanos(st.st_ctim);
  file->content_type = ContentTypeFor(path);
  file->compressible = IsCompressible(file->content_type);
  const uint64_t hash = Fnv1a64(file->body);
  file->etag = QuotedTag(hash, file->body.size(), "");
  // Files too large to cache would be compressed again on every request, so they go uncompressed.
  const bool cacheable = file->body.size() <= limits_.max_cached_file;
  if (cacheable && file->compressible && file->body.size() >= kMinGzipSize) {
    std::optional<std::string> gz = Gzip(file->body);
    if (gz.has_value() && gz->size() < file->body.size()) {
      file->gzip_body = std::move(*gz);
      file->gzip_etag = QuotedTag(hash, file->body.size(), "-gz");
    }
  }
  std::shared_ptr<const File> result = std::move(file);
  if (cacheable) {
    Insert(path, result);
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(path);  // an older, smaller version must not linger
    if (it != cache_.end()) {
      cached_bytes_ -= it->second.file->Bytes();
      cache_.erase(it);
    }
  }
  return {result, false};
}

void StaticFiles::Insert(const std::string& path, std::shared_ptr<const File> file) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto old = cache_.find(path);
  if (old != cache_.end()) {
    cached_bytes_ -= old->second.file->Bytes();
    cache_.erase(old);
  }
  const size_t bytes = file->Bytes();
  if (bytes > limits_.max_cache_total) return;
  // Least recently used first. A linear scan is fine: a built client has tens of files, not thousands.
  while (cached_bytes_ + bytes > limits_.max_cache_total && !cache_.empty()) {
    auto victim = cache_.begin();
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->second.last_used < victim->second.last_used) victim = it;
    }
    cached_bytes_ -= victim->second.file->Bytes();
    cache_.erase(victim);
  }
  cached_bytes_ += bytes;
  cache_[path] = Slot{std::move(file), ++tick_};
}

HttpResponse StaticFiles::Respond(const File& file, const HttpRequest& request,
                                  const char* cache_control) const {
  const bool gzip = !file.gzip_body.empty() && AcceptsGzip(request.Header("accept-encoding"));
  const std::string& etag = gzip ? file.gzip_etag : file.etag;
  HttpResponse r;
  r.headers["etag"] = etag;
  r.headers["cache-control"] = cache_control;
  // Caches must key compressible responses on Accept-Encoding, whichever variant this one is.
  if (file.compressible) r.headers["vary"] = "accept-encoding";
  const std::string& if_none_match = request.Header("if-none-match");
  if (!if_none_match.empty() && ETagMatches(if_none_match, etag)) {
    r.status = 304;
    r.content_type.clear();  // a 304 carries no representation metadata beyond the validators
    return r;
  }
  r.content_type = file.content_type;
  if (gzip) {
    r.headers["content-encoding"] = "gzip";
    r.body = file.gzip_body;
  } else {
    r.body = file.body;
  }
  return r;
}

std::string SafeJoin(const std::string& root, const std::string& url_path) {
  std::optional<std::string> path = DecodeUrlPath(url_path);
  if (!path.has_value()) return "";
  return root + (*path == "/" ? "/index.html" : *path);
}

std::string ContentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string>* const kTypes = new std::map<std::string, std::string>{
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json; charset=utf-8"},
      {"map", "application/json; charset=utf-8"},
      {"svg", "image/svg+xml; charset=utf-8"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"wasm", "application/wasm"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
      {"webmanifest", "application/manifest+json; charset=utf-8"},
      {"xml", "application/xml; charset=utf-8"},
  };
  absl::string_view name = LastSegment(path);
  size_t dot = name.rfind('.');
  if (dot != absl::string_view::npos) {
    auto it = kTypes->find(absl::AsciiStrToLower(name.substr(dot + 1)));
    if (it != kTypes->end()) return it->second;
  }
  return "application/octet-stream";
}

}  // namespace luoshi::gateway
