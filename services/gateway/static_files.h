// The built browser client (client-web/dist) served over HTTP: MIME types, strong ETags and 304s, long
// caching for Vite's content-hashed /assets/, gzip for browsers that accept it, the single-page-app
// fallback to index.html, and refusal of any path that could leave the root.
//
// Files are kept in memory, keyed by path and checked against the file on disk (inode, size, mtime,
// ctime) on every request, so a client rebuilt while the gateway runs is picked up at once.
#ifndef LUOSHI_SERVICES_GATEWAY_STATIC_FILES_H_
#define LUOSHI_SERVICES_GATEWAY_STATIC_FILES_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "services/gateway/http_message.h"

namespace luoshi::gateway {

class StaticFiles {
 public:
  struct Limits {
    size_t max_cached_file = size_t{8} << 20;   // larger files are read (and sent uncompressed) each time
    size_t max_cache_total = size_t{64} << 20;  // bodies plus gzip variants; least recently used go first
  };

  explicit StaticFiles(std::string root);  // directory of the built client (client-web/dist)
  StaticFiles(std::string root, Limits limits);
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;
  ~StaticFiles();

  // Answers a GET or HEAD of request.Path() (the caller already checked the method). Thread-safe.
  // The response always carries the full body even for HEAD (the HTTP server drops it for HEAD).
  HttpResponse Serve(const HttpRequest& request) const;

  // Bytes held by the cache now (for tests and metrics).
  size_t CachedBytes() const;

 private:
  struct File;  // one version of one file, immutable once built
  struct Slot {
    std::shared_ptr<const File> file;
    uint64_t last_used = 0;
  };
  struct Lookup {
    std::shared_ptr<const File> file;  // null when there is no regular file at the path
    bool error = false;                // a regular file that could not be read
  };

  Lookup Find(const std::string& path) const;
  void Insert(const std::string& path, std::shared_ptr<const File> file) const;
  HttpResponse Respond(const File& file, const HttpRequest& request, const char* cache_control) const;

  const std::string root_;
  const Limits limits_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Slot> cache_;  // guarded by mu_
  mutable size_t cached_bytes_ = 0;            // guarded by mu_
  mutable uint64_t tick_ = 0;                  // guarded by mu_; orders Slot::last_used
};

// Percent-decodes a URL path and maps it to a file under root; "" when refused (NUL, backslash, "." or
// ".." segments after decoding, bad %-escapes, not starting with '/'). "/" maps to root + "/index.html".
std::string SafeJoin(const std::string& root, const std::string& url_path);

// The Content-Type for a file name, by its extension (case-insensitive); application/octet-stream when
// unknown. Textual types carry "; charset=utf-8".
std::string ContentTypeFor(const std::string& path);

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_STATIC_FILES_H_
