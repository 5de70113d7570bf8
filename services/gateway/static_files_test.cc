#include "services/gateway/static_files.h"

#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace luoshi::gateway {
namespace {

namespace fs = std::filesystem;

void WriteFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// Compressible text of `size` bytes that is not just one repeated byte.
std::string Text(size_t size, const std::string& seed = "console.log('落实');\n") {
  std::string s;
  for (int i = 0; s.size() < size; ++i) s += absl::StrCat(seed, "// line ", i, "\n");
  s.resize(size);
  return s;
}

// Incompressible bytes (a linear congruential sequence), so gzip could not shrink them.
std::string Noise(size_t size) {
  std::string s(size, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::string Gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[4096];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(zs.avail_in, 0u);  // one gzip member, nothing after it
  inflateEnd(&zs);
  return out;
}

HttpRequest Get(const std::string& target, std::map<std::string, std::string> headers = {}) {
  HttpRequest r;
  r.method = "GET";
  r.target = target;
  r.headers = std::move(headers);
  return r;
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kIndex[] = "<!doctype html><html><body>落实 client</body></html>";

class StaticFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/static_files_test_" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A small built client: index.html, hashed assets, a few top-level files.
  void WriteClient() {
    WriteFile(root_ + "/index.html", kIndex);
    WriteFile(root_ + "/assets/index-3f2a1b.js", Text(5000));
    WriteFile(root_ + "/assets/index-9c8d7e.css", "body{margin:0}");
    WriteFile(root_ + "/favicon.ico", Noise(300));
    WriteFile(root_ + "/robots.txt", "User-agent: *\n");
  }

  std::string root_;
};

TEST(ContentTypeForTest, KnowsTheClientsTypes) {
  EXPECT_EQ(ContentTypeFor("/x/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.json"), "application/json; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.js.map"), "application/json; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.png"), "image/png");
  EXPECT_EQ(ContentTypeFor("a.jpg"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("a.jpeg"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("a.gif"), "image/gif");
  EXPECT_EQ(ContentTypeFor("a.webp"), "image/webp");
  EXPECT_EQ(ContentTypeFor("favicon.ico"), "image/x-icon");
  EXPECT_EQ(ContentTypeFor("a.wasm"), "application/wasm");
  EXPECT_EQ(ContentTypeFor("a.woff"), "font/woff");
  EXPECT_EQ(ContentTypeFor("a.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("a.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("manifest.webmanifest"), "application/manifest+json; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("sitemap.xml"), "application/xml; charset=utf-8");
}

TEST(ContentTypeForTest, ExtensionIsCaseInsensitiveAndUnknownIsOctetStream) {
  EXPECT_EQ(ContentTypeFor("/LOGO.PNG"), "image/png");
  EXPECT_EQ(ContentTypeFor("Index.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.bin"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("Makefile"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("/dir.js/file"), "application/octet-stream");  // the dot is in a directory
  EXPECT_EQ(ContentTypeFor("a.html.bak"), "application/octet-stream");
}

TEST(SafeJoinTest, MapsPathsUnderTheRoot) {
  EXPECT_EQ(SafeJoin("/srv", "/"), "/srv/index.html");
  EXPECT_EQ(SafeJoin("/srv", "/assets/app.js"), "/srv/assets/app.js");
  EXPECT_EQ(SafeJoin("/srv", "/%E6%96%87.txt"), "/srv/文.txt");
  EXPECT_EQ(SafeJoin("/srv", "/a%20b.txt"), "/srv/a b.txt");
  EXPECT_EQ(SafeJoin("/srv", "/a+b"), "/srv/a+b");          // '+' means a space only in query strings
  EXPECT_EQ(SafeJoin("/srv", "/..foo/x"), "/srv/..foo/x");  // a name that merely starts with dots
}

TEST(SafeJoinTest, RefusesPathsThatCouldLeaveTheRoot) {
  for (const char* path : {"/../etc/passwd", "/a/../../x", "/a/..", "/./x", "/a/.", "/%2e%2e/x",
                           "/%2E%2E%2Fetc", "/%2e/x", "/a%2f..%2fb/../..", "/.%2e/x"}) {
    EXPECT_EQ(SafeJoin("/srv", path), "") << path;
  }
}

TEST(SafeJoinTest, RefusesBackslashNulBadEscapesAndRelativePaths) {
  for (const std::string& path :
       {std::string("/a\\b"), std::string("/%5c..%5cx"), std::string("/%5C"), std::string("/a\0b", 4),
        std::string("/a%00.html"), std::string("/%zz"), std::string("/%4"), std::string("/%"),
        std::string("/%g0"), std::string("relative"), std::string(""), std::string("http://host/x")}) {
    EXPECT_EQ(SafeJoin("/srv", path), "") << path;
  }
}

TEST_F(StaticFilesTest, ServesFilesWithTypeETagAndNoCache) {
  WriteClient();
  StaticFiles files(root_);
  HttpResponse r = files.Serve(Get("/robots.txt"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "User-agent: *\n");
  EXPECT_EQ(HeaderOf(r, "cache-control"), "no-cache");
  const std::string etag = HeaderOf(r, "etag");
  EXPECT_TRUE(absl::StartsWith(etag, "\"") && absl::EndsWith(etag, "\"")) << etag;
  EXPECT_FALSE(absl::StartsWith(etag, "W/")) << etag;  // strong: the same bytes, byte for byte

  HttpResponse root = files.Serve(Get("/"));
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(root.body, kIndex);
  EXPECT_EQ(HeaderOf(root, "cache-control"), "no-cache");
  EXPECT_EQ(files.Serve(Get("/index.html")).body, kIndex);

  HttpResponse icon = files.Serve(Get("/favicon.ico?v=2#frag"));  // the query does not name the file
  EXPECT_EQ(icon.status, 200);
  EXPECT_EQ(icon.content_type, "image/x-icon");
  EXPECT_EQ(icon.body, Noise(300));
  EXPECT_EQ(HeaderOf(icon, "vary"), "");  // not compressible, so nothing to vary on
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutable) {
  WriteClient();
  StaticFiles files(root_);
  HttpResponse css = files.Serve(Get("/assets/index-9c8d7e.css"));
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(css.body, "body{margin:0}");
  EXPECT_EQ(HeaderOf(css, "cache-control"), kImmutable);
}

TEST_F(StaticFilesTest, ETagFollowsTheContent) {
  WriteFile(root_ + "/a.txt", "one");
  WriteFile(root_ + "/b.txt", "one");
  WriteFile(root_ + "/c.txt", "two");
  StaticFiles files(root_);
  const std::string a = HeaderOf(files.Serve(Get("/a.txt")), "etag");
  EXPECT_EQ(HeaderOf(files.Serve(Get("/a.txt")), "etag"), a);
  EXPECT_EQ(HeaderOf(files.Serve(Get("/b.txt")), "etag"), a);  // from the bytes, not the name or time
  EXPECT_NE(HeaderOf(files.Serve(Get("/c.txt")), "etag"), a);
  EXPECT_EQ(HeaderOf(StaticFiles(root_).Serve(Get("/a.txt")), "etag"), a);  // stable across restarts
}

TEST_F(StaticFilesTest, IfNoneMatchRoundTripAnswers304) {
  WriteClient();
  StaticFiles files(root_);
  HttpResponse first = files.Serve(Get("/assets/index-9c8d7e.css"));
  const std::string etag = HeaderOf(first, "etag");
  ASSERT_FALSE(etag.empty());

  for (const std::string& inm :
       {etag, "\"other\", " + etag, "W/" + etag, std::string("*"), "\"x\",W/" + etag + " , \"y\""}) {
    HttpResponse again = files.Serve(Get("/assets/index-9c8d7e.css", {{"if-none-match", inm}}));
    EXPECT_EQ(again.status, 304) << inm;
    EXPECT_EQ(again.body, "") << inm;
    EXPECT_EQ(HeaderOf(again, "etag"), etag) << inm;
    EXPECT_EQ(HeaderOf(again, "cache-control"), kImmutable) << inm;
    EXPECT_EQ(HeaderOf(again, "vary"), "accept-encoding") << inm;
    EXPECT_EQ(again.content_type, "") << inm;
  }

  HttpResponse stale = files.Serve(Get("/assets/index-9c8d7e.css", {{"if-none-match", "\"stale\""}}));
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, "body{margin:0}");

  // index.html revalidates too (it is no-cache, not no-store).
  const std::string index_etag = HeaderOf(files.Serve(Get("/")), "etag");
  HttpResponse index = files.Serve(Get("/", {{"if-none-match", index_etag}}));
  EXPECT_EQ(index.status, 304);
  EXPECT_EQ(HeaderOf(index, "cache-control"), "no-cache");
}

TEST_F(StaticFilesTest, GzipRoundTrip) {
  WriteClient();
  const std::string original = Text(5000);
  StaticFiles files(root_);
  HttpResponse plain = files.Serve(Get("/assets/index-3f2a1b.js"));
  EXPECT_EQ(plain.body, original);
  EXPECT_EQ(HeaderOf(plain, "content-encoding"), "");
  EXPECT_EQ(HeaderOf(plain, "vary"), "accept-encoding");

  HttpResponse gz = files.Serve(Get("/assets/index-3f2a1b.js", {{"accept-encoding", "gzip, deflate, br"}}));
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(gz, "content-encoding"), "gzip");
  EXPECT_EQ(HeaderOf(gz, "vary"), "accept-encoding");
  EXPECT_EQ(HeaderOf(gz, "cache-control"), kImmutable);
  EXPECT_LT(gz.body.size(), original.size());
  EXPECT_EQ(Gunzip(gz.body), original);

  const std::string plain_etag = HeaderOf(plain, "etag");
  const std::string gz_etag = HeaderOf(gz, "etag");
  EXPECT_NE(gz_etag, plain_etag);
  EXPECT_TRUE(absl::EndsWith(gz_etag, "-gz\"")) << gz_etag;
  EXPECT_EQ(gz_etag, plain_etag.substr(0, plain_etag.size() - 1) + "-gz\"");

  // Compressed once: the same bytes come back on the next request.
  EXPECT_EQ(files.Serve(Get("/assets/index-3f2a1b.js", {{"accept-encoding", "gzip"}})).body, gz.body);

  // Each variant revalidates against its own tag.
  HttpResponse gz304 =
      files.Serve(Get("/assets/index-3f2a1b.js", {{"accept-encoding", "gzip"}, {"if-none-match", gz_etag}}));
  EXPECT_EQ(gz304.status, 304);
  EXPECT_EQ(HeaderOf(gz304, "etag"), gz_etag);
  EXPECT_EQ(gz304.body, "");
  HttpResponse cross = files.Serve(Get("/assets/index-3f2a1b.js", {{"if-none-match", gz_etag}}));
  EXPECT_EQ(cross.status, 200);  // the identity variant is not the gzip one
  EXPECT_EQ(cross.body, original);
}

TEST_F(StaticFilesTest, GzipRefusedByQZeroOrAbsent) {
  WriteClient();
  StaticFiles files(root_);
  const std::string path = "/assets/index-3f2a1b.js";
  for (const char* refusal : {"gzip;q=0", "gzip; q=0.0, deflate", "br, gzip;q=0.000", "identity",
                              "deflate, br", "*;q=0", "gzip;q=0, *", "gzip;q=bogus", ""}) {
    HttpResponse r = files.Serve(Get(path, {{"accept-encoding", refusal}}));
    EXPECT_EQ(HeaderOf(r, "content-encoding"), "") << refusal;
    EXPECT_EQ(r.body, Text(5000)) << refusal;
    EXPECT_EQ(HeaderOf(r, "vary"), "accept-encoding") << refusal;
  }
  for (const char* acceptance :
       {"gzip", "GZIP", "x-gzip", "gzip;q=0.5", "deflate, gzip ; q=1", "*", "br;q=1, *;q=0.1"}) {
    HttpResponse r = files.Serve(Get(path, {{"accept-encoding", acceptance}}));
    EXPECT_EQ(HeaderOf(r, "content-encoding"), "gzip") << acceptance;
  }
}

TEST_F(StaticFilesTest, GzipOnlyForCompressibleTypesOfAtLeastOneKiB) {
  WriteFile(root_ + "/small.js", Text(1023));
  WriteFile(root_ + "/exact.json", Text(1024, "{\"a\": 1}\n"));
  WriteFile(root_ + "/image.png", Text(5000));    // compressible bytes, but not a compressible type
  WriteFile(root_ + "/noise.wasm", Noise(4096));  // a compressible type that gzip cannot shrink
  WriteFile(root_ + "/icons.svg", Text(2000, "<svg><path d='M0 0'/></svg>\n"));
  StaticFiles files(root_);
  const std::map<std::string, std::string> gzip = {{"accept-encoding", "gzip"}};

  HttpResponse small = files.Serve(Get("/small.js", gzip));
  EXPECT_EQ(HeaderOf(small, "content-encoding"), "");
  EXPECT_EQ(HeaderOf(small, "vary"), "accept-encoding");
  EXPECT_EQ(small.body, Text(1023));

  HttpResponse exact = files.Serve(Get("/exact.json", gzip));
  EXPECT_EQ(HeaderOf(exact, "content-encoding"), "gzip");
  EXPECT_EQ(Gunzip(exact.body), Text(1024, "{\"a\": 1}\n"));

  HttpResponse png = files.Serve(Get("/image.png", gzip));
  EXPECT_EQ(HeaderOf(png, "content-encoding"), "");
  EXPECT_EQ(HeaderOf(png, "vary"), "");

  HttpResponse wasm = files.Serve(Get("/noise.wasm", gzip));
  EXPECT_EQ(HeaderOf(wasm, "content-encoding"), "");
  EXPECT_EQ(wasm.body, Noise(4096));
  EXPECT_EQ(HeaderOf(wasm, "vary"), "accept-encoding");

  HttpResponse svg = files.Serve(Get("/icons.svg", gzip));
  EXPECT_EQ(HeaderOf(svg, "content-encoding"), "gzip");
  EXPECT_EQ(Gunzip(svg.body), Text(2000, "<svg><path d='M0 0'/></svg>\n"));
}

TEST_F(StaticFilesTest, CacheRefreshesWhenTheFileIsRewritten) {
  WriteClient();
  StaticFiles files(root_);
  const std::map<std::string, std::string> gzip = {{"accept-encoding", "gzip"}};
  HttpResponse before = files.Serve(Get("/assets/index-3f2a1b.js", gzip));
  HttpResponse index_before = files.Serve(Get("/"));
  EXPECT_GT(files.CachedBytes(), 0u);

  const std::string rebuilt = Text(7000, "export const v = 2;\n");
  WriteFile(root_ + "/assets/index-3f2a1b.js", rebuilt);
  WriteFile(root_ + "/index.html", "<html>rebuilt</html>");

  HttpResponse after = files.Serve(Get("/assets/index-3f2a1b.js", gzip));
  EXPECT_EQ(Gunzip(after.body), rebuilt);
  EXPECT_NE(HeaderOf(after, "etag"), HeaderOf(before, "etag"));
  EXPECT_EQ(files.Serve(Get("/assets/index-3f2a1b.js")).body, rebuilt);

  HttpResponse index_after = files.Serve(Get("/", {{"if-none-match", HeaderOf(index_before, "etag")}}));
  EXPECT_EQ(index_after.status, 200);  // the old tag no longer matches
  EXPECT_EQ(index_after.body, "<html>rebuilt</html>");
}

TEST_F(StaticFilesTest, CacheRefreshesOnSameSizeRewrite) {
  WriteFile(root_ + "/v.txt", "version 1");
  StaticFiles files(root_);
  EXPECT_EQ(files.Serve(Get("/v.txt")).body, "version 1");
  // Same size, and the modification time put back: the inode change time still moves.
  auto mtime = fs::last_write_time(root_ + "/v.txt");
  WriteFile(root_ + "/v.txt", "version 2");
  fs::last_write_time(root_ + "/v.txt", mtime);
  EXPECT_EQ(files.Serve(Get("/v.txt")).body, "version 2");
}

TEST_F(StaticFilesTest, CacheRefreshesWhenTheFileIsReplacedByRename) {
  WriteFile(root_ + "/index.html", "<html>v1</html>");
  StaticFiles files(root_);
  EXPECT_EQ(files.Serve(Get("/")).body, "<html>v1</html>");
  WriteFile(root_ + "/index.html.tmp", "<html>v2</html>");
  fs::rename(root_ + "/index.html.tmp", root_ + "/index.html");
  EXPECT_EQ(files.Serve(Get("/")).body, "<html>v2</html>");
}

TEST_F(StaticFilesTest, LargeFilesAreNotCachedNorCompressed) {
  StaticFiles::Limits limits;
  limits.max_cached_file = 4096;
  StaticFiles files(root_, limits);
  WriteFile(root_ + "/big.js", Text(5000));
  HttpResponse big = files.Serve(Get("/big.js", {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(big.status, 200);
  EXPECT_EQ(big.body, Text(5000));
  EXPECT_EQ(HeaderOf(big, "content-encoding"), "");
  EXPECT_EQ(files.CachedBytes(), 0u);

  // A file that was cached while small leaves the cache once it outgrows the limit.
  WriteFile(root_ + "/grows.js", Text(100));
  files.Serve(Get("/grows.js"));
  EXPECT_EQ(files.CachedBytes(), 100u);
  WriteFile(root_ + "/grows.js", Text(5000));
  EXPECT_EQ(files.Serve(Get("/grows.js")).body, Text(5000));
  EXPECT_EQ(files.CachedBytes(), 0u);
}

TEST_F(StaticFilesTest, DefaultLimitsDoNotCacheFilesOverEightMiB) {
  StaticFiles files(root_);
  const std::string big = Noise((size_t{8} << 20) + 1);
  WriteFile(root_ + "/big.bin", big);
  WriteFile(root_ + "/exact.bin", Noise(size_t{8} << 20));
  EXPECT_EQ(files.Serve(Get("/big.bin")).body, big);
  EXPECT_EQ(files.CachedBytes(), 0u);
  EXPECT_EQ(files.Serve(Get("/exact.bin")).body.size(), size_t{8} << 20);
  EXPECT_EQ(files.CachedBytes(), size_t{8} << 20);
}

TEST_F(StaticFilesTest, CacheTotalIsBoundedAndEvictsLeastRecentlyUsed) {
  StaticFiles::Limits limits;
  limits.max_cached_file = 1000;
  limits.max_cache_total = 2500;
  StaticFiles files(root_, limits);
  for (int i = 0; i < 5; ++i) WriteFile(root_ + "/f" + std::to_string(i) + ".bin", Noise(1000));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(files.Serve(Get("/f" + std::to_string(i) + ".bin")).body, Noise(1000));
    EXPECT_LE(files.CachedBytes(), 2500u);
  }
  EXPECT_EQ(files.CachedBytes(), 2000u);
  // Everything still answers correctly, cached or not.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(files.Serve(Get("/f" + std::to_string(i) + ".bin")).status, 200);
  EXPECT_LE(files.CachedBytes(), 2500u);
}

TEST_F(StaticFilesTest, TraversalIsRefusedWith400) {
  WriteClient();
  WriteFile(root_ + "/../static_files_outside.txt", "secret");
  StaticFiles files(root_ + "/");
  for (const std::string& path :
       {std::string("/../etc/passwd"), std::string("/a/../../x"), std::string("/%2e%2e/x"),
        std::string("/%2E%2E%2Fetc"), std::string("/%2e%2e/static_files_outside.txt"),
        std::string("/..%2fstatic_files_outside.txt"), std::string("/a\\..\\b"), std::string("/%5c..%5cx"),
        std::string("/index.html\0.js", 15), std::string("/index.html%00.js"), std::string("/%zz"),
        std::string("/%"), std::string("/./index.html"), std::string("relative")}) {
    HttpResponse r = files.Serve(Get(path));
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.body, "bad path\n") << path;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8") << path;
  }
  fs::remove(root_ + "/../static_files_outside.txt");
}

TEST_F(StaticFilesTest, PercentEncodedUtf8NamesAreServed) {
  WriteFile(root_ + "/文.txt", "中文内容");
  WriteFile(root_ + "/docs/a b.json", "{}");
  StaticFiles files(root_);
  HttpResponse r = files.Serve(Get("/%E6%96%87.txt"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "中文内容");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(files.Serve(Get("/%e6%96%87.txt")).body, "中文内容");
  EXPECT_EQ(files.Serve(Get("/docs/a%20b.json")).body, "{}");
}

TEST_F(StaticFilesTest, SpaRoutesFallBackToIndex) {
  WriteClient();
  fs::create_directories(root_ + "/sub");
  StaticFiles files(root_);
  const std::string index_etag = HeaderOf(files.Serve(Get("/")), "etag");
  for (const char* route : {"/documents/42", "/indicators", "/tasks/T56?tab=history", "/sub", "/sub/",
                            "/assets", "/%E6%96%87%E4%BB%B6"}) {
    HttpResponse r = files.Serve(Get(route));
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << route;
    EXPECT_EQ(r.body, kIndex) << route;
    EXPECT_EQ(HeaderOf(r, "cache-control"), "no-cache") << route;
    EXPECT_EQ(HeaderOf(r, "etag"), index_etag) << route;
  }
  EXPECT_EQ(files.Serve(Get("/documents/42", {{"if-none-match", index_etag}})).status, 304);
}

TEST_F(StaticFilesTest, MissingFilesWithExtensionsAndMissingAssetsAre404) {
  WriteClient();
  fs::create_directories(root_ + "/dir.d");
  StaticFiles files(root_);
  for (const char* path : {"/missing.js", "/documents/42.json", "/assets/missing.js", "/assets/chunk",
                           "/assets/", "/assets/sub/", "/dir.d"}) {
    HttpResponse r = files.Serve(Get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, "not found\n") << path;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8") << path;
  }
}

TEST_F(StaticFilesTest, UnbuiltClientAnswersTheFallbackPage) {
  StaticFiles files(root_ + "/no-such-dist");
  for (const char* path : {"/", "/index.html", "/documents/42", "/indicators"}) {
    HttpResponse r = files.Serve(Get(path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(HeaderOf(r, "cache-control"), "no-cache") << path;
    EXPECT_TRUE(absl::StrContains(r.body, "the browser client has not been built")) << path;
    EXPECT_TRUE(absl::StrContains(r.body, "<a href=\"/healthz\">/healthz</a>")) << path;
  }
  EXPECT_EQ(files.Serve(Get("/missing.js")).status, 404);
  EXPECT_EQ(files.Serve(Get("/assets/app.js")).status, 404);

  // Once the client is built, the same instance serves it.
  WriteFile(root_ + "/no-such-dist/index.html", kIndex);
  EXPECT_EQ(files.Serve(Get("/documents/42")).body, kIndex);
}

TEST_F(StaticFilesTest, HeadGetsTheSameResponseAsGet) {
  WriteClient();
  StaticFiles files(root_);
  for (const char* path : {"/", "/assets/index-3f2a1b.js", "/documents/42", "/missing.js", "/%2e%2e/x"}) {
    for (const std::map<std::string, std::string>& headers :
         std::vector<std::map<std::string, std::string>>{{}, {{"accept-encoding", "gzip"}}}) {
      HttpRequest get = Get(path, headers);
      HttpRequest head = get;
      head.method = "HEAD";
      HttpResponse a = files.Serve(get);
      HttpResponse b = files.Serve(head);
      EXPECT_EQ(a.status, b.status) << path;
      EXPECT_EQ(a.content_type, b.content_type) << path;
      EXPECT_EQ(a.headers, b.headers) << path;
      EXPECT_EQ(a.body, b.body) << path;
    }
  }
}

TEST_F(StaticFilesTest, ConcurrentServingWhileTheClientIsRebuilt) {
  WriteClient();
  StaticFiles::Limits limits;
  limits.max_cache_total = 16 << 10;  // small, so eviction runs concurrently too
  StaticFiles files(root_, limits);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      const char* paths[] = {"/", "/assets/index-3f2a1b.js", "/assets/index-9c8d7e.css", "/robots.txt",
                             "/x/y"};
      for (int i = 0; !stop.load() || i < 50; ++i) {
        HttpResponse r = files.Serve(Get(paths[(i + t) % 5], {{"accept-encoding", i % 2 ? "gzip" : ""}}));
        if (r.status != 200) ++failures;
        if (HeaderOf(r, "content-encoding") == "gzip" && Gunzip(r.body).empty()) ++failures;
      }
    });
  }
  for (int i = 0; i < 30; ++i) WriteFile(root_ + "/robots.txt", Text(1500 + i * 100));
  stop = true;
  for (auto& thread : readers) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(files.Serve(Get("/robots.txt")).body, Text(1500 + 29 * 100));
  EXPECT_LE(files.CachedBytes(), 16u << 10);
}

}  // namespace
}  // namespace luoshi::gateway
