#include "services/common/log.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#ifndef _WIN32
#include <unistd.h>
#endif
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace luoshi {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
std::string* g_service = new std::string("luoshi");

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// One line, whole, with no lock held during the system call (the gateway logs every request from
// several threads). POSIX: a single write(2) of a line is not interleaved with another process's or
// thread's line on a pipe (up to PIPE_BUF) or an O_APPEND file; longer lines are written in a loop.
void WriteLine(const std::string& line) {
#ifdef _WIN32
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
#else
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to; never fail the caller
    p += n;
    left -= static_cast<size_t>(n);
  }
#endif
}

}  // namespace

std::string LogTimestamp(absl::Time now) {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached_prefix;
  const int64_t ms = absl::ToUnixMillis(now);
  const int64_t second = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (second != cached_second) {
    cached_prefix = absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
    cached_second = second;
  }
  const int millis = static_cast<int>(ms - second * 1000);
  char tail[8] = {'.',
                  static_cast<char>('0' + millis / 100),
                  static_cast<char>('0' + millis / 10 % 10),
                  static_cast<char>('0' + millis % 10),
                  'Z',
                  '\0'};
  return cached_prefix + tail;
}

bool ParseLogLevel(const std::string& text, LogLevel* out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (text == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

void SetLogService(const std::string& service) {
  std::lock_guard<std::mutex> lock(g_mu);
  *g_service = service;
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

void Log(LogLevel level, const std::string& msg, absl::Span<const LogField> fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  std::string service;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    service = *g_service;
  }
  std::string line =
      absl::StrCat("{\"ts\":\"", LogTimestamp(absl::Now()), "\",\"level\":\"", LevelName(level), "\"");
  line += ",\"service\":" + JsonQuote(service) + ",\"msg\":" + JsonQuote(msg);
  for (const auto& [k, v] : fields) line += "," + JsonQuote(k) + ":" + JsonQuote(v);
  line += "}\n";
  WriteLine(line);
}

}  // namespace luoshi
