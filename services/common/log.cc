#include "services/common/log.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#ifndef _WIN32
#include <unistd.h>
#endif
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace luoshi {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kJsonStderr)};
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
void WriteLine(const std::string& line, bool to_stdout) {
#ifdef _WIN32
  std::FILE* out = to_stdout ? stdout : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
#else
  const int fd = to_stdout ? STDOUT_FILENO : STDERR_FILENO;
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to; never fail the caller
    p += n;
    left -= static_cast<size_t>(n);
  }
#endif
}

// A text-format value: bare when it is one plain word, JSON-quoted otherwise, so a line still splits
// unambiguously on spaces.
std::string TextValue(const std::string& v) {
  bool plain = !v.empty();
  for (unsigned char c : v) plain = plain && c > 0x20 && c != '"' && c != '=' && c != 0x7f;
  return plain ? v : JsonQuote(v);
}

std::string JsonLine(absl::Time now, LogLevel level, const std::string& service, const std::string& msg,
                     absl::Span<const LogField> fields) {
  std::string line = absl::StrCat("{\"ts\":\"", LogTimestamp(now), "\",\"level\":\"", LevelName(level), "\"");
  line += ",\"service\":" + JsonQuote(service) + ",\"msg\":" + JsonQuote(msg);
  for (const auto& [k, v] : fields) line += "," + JsonQuote(k) + ":" + JsonQuote(v);
  line += "}\n";
  return line;
}

std::string TextLine(absl::Time now, LogLevel level, const std::string& service, const std::string& msg,
                     absl::Span<const LogField> fields) {
  std::string line =
      absl::StrCat(LogTimestamp(now), " ", absl::AsciiStrToUpper(LevelName(level)), " ", service, " ", msg);
  for (const auto& [k, v] : fields) absl::StrAppend(&line, " ", k, "=", TextValue(v));
  line += "\n";
  return line;
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

bool ParseLogFormat(const std::string& text, LogFormat* out) {
  if (text.empty()) {
    *out = LogFormat::kJsonStderr;
  } else if (text == "json") {
    *out = LogFormat::kJsonStdout;
  } else if (text == "text") {
    *out = LogFormat::kText;
  } else {
    return false;
  }
  return true;
}

void SetLogFormat(LogFormat format) { g_format = static_cast<int>(format); }

std::string FormatLogLine(LogFormat format, absl::Time now, LogLevel level, const std::string& service,
                          const std::string& msg, absl::Span<const LogField> fields) {
  return format == LogFormat::kText ? TextLine(now, level, service, msg, fields)
                                    : JsonLine(now, level, service, msg, fields);
}

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
  const auto format = static_cast<LogFormat>(g_format.load());
  WriteLine(FormatLogLine(format, absl::Now(), level, service, msg, fields),
            format == LogFormat::kJsonStdout);
}

}  // namespace luoshi
