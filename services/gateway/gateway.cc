#include "services/gateway/gateway.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/health_client.h"
#include "services/common/log.h"
#include "services/common/server.h"

namespace luoshi::gateway {
namespace {

constexpr char kFallbackPage[] = R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Luoshi 落实</title></head>
<body><h1>Luoshi 落实</h1>
<p>The gateway is running, but the browser client has not been built (client-web/dist is missing).
Run <code>npm run build</code> in client-web, or use the <code>luoshi</code> command.</p>
<p>Service health: <a href="/healthz">/healthz</a></p></body></html>
)";

std::string PathOnly(const std::string& target) {
  size_t q = target.find_first_of("?#");
  return q == std::string::npos ? target : target.substr(0, q);
}

}  // namespace

Gateway::Gateway(GatewayConfig config) : config_(std::move(config)) {
  backends_[kIngestionService.short_name] = {kIngestionService.full_name, MakeChannel(config_.ingestion_address)};
  backends_[kIndicatorsService.short_name] = {kIndicatorsService.full_name,
                                              MakeChannel(config_.indicators_address)};
  backends_[kTasksService.short_name] = {kTasksService.full_name, MakeChannel(config_.tasks_address)};
}

HttpResponse Gateway::Handle(const HttpRequest& request) const {
  const std::string path = PathOnly(request.target);
  if (path == "/healthz") return Health();
  if (absl::StartsWith(path, "/luoshi.v1.") || absl::StartsWith(path, "/grpc.")) {
    HttpResponse r;
    r.status = 501;
    r.body = "grpc-web translation is not available in this version of the gateway; use the luoshi CLI\n";
    return r;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r;
    r.status = 405;
    r.headers["allow"] = "GET, HEAD";
    r.body = "method not allowed\n";
    return r;
  }
  return StaticFile(path);
}

HttpResponse Gateway::Health() const {
  bool all_serving = true;
  std::string services;
  for (const auto& [name, backend] : backends_) {
    auto status = CheckHealth(backend.second, backend.first, absl::Seconds(2));
    std::string state = status.ok() ? *status : "UNREACHABLE";
    if (state != "SERVING") all_serving = false;
    if (!services.empty()) services += ",";
    services += JsonQuote(name) + ":" + JsonQuote(state);
  }
  HttpResponse r;
  r.status = all_serving ? 200 : 503;
  r.content_type = "application/json";
  r.headers["cache-control"] = "no-store";
  r.body = absl::StrCat("{\"status\":", JsonQuote(all_serving ? "SERVING" : "DEGRADED"),
                        ",\"gateway\":\"SERVING\",\"services\":{", services, "}}\n");
  return r;
}

std::string SafeJoin(const std::string& root, const std::string& url_path) {
  if (url_path.empty() || url_path[0] != '/') return "";
  if (url_path.find('\0') != std::string::npos || url_path.find('\\') != std::string::npos) return "";
  for (absl::string_view part : absl::StrSplit(url_path, '/')) {
    if (part == ".." || part == ".") return "";
    if (absl::StrContains(part, "%")) return "";  // no percent-encoded tricks; our files need none
  }
  std::string rel = url_path == "/" ? "/index.html" : url_path;
  return root + rel;
}

std::string ContentTypeFor(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".ico", "image/x-icon"},              {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"}};
  for (const auto& [ext, type] : kTypes) {
    if (absl::EndsWith(path, ext)) return type;
  }
  return "application/octet-stream";
}

HttpResponse Gateway::StaticFile(const std::string& path) const {
  HttpResponse r;
  std::string file = SafeJoin(config_.web_root, path);
  if (file.empty()) {
    r.status = 400;
    r.body = "bad path\n";
    return r;
  }
  std::error_code ec;
  std::ifstream in;
  if (std::filesystem::is_regular_file(file, ec)) in.open(file, std::ios::binary);
  if (!in.is_open()) {
    if (path == "/" || path == "/index.html") {
      r.content_type = "text/html; charset=utf-8";
      r.body = kFallbackPage;
      return r;
    }
    r.status = 404;
    r.body = "not found\n";
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  r.content_type = ContentTypeFor(file);
  r.body = ss.str();
  return r;
}

}  // namespace luoshi::gateway
