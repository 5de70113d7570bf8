// Structured logs, one line per event. Three formats (--log_format), chosen once at start-up:
//   default: one JSON object per line on stderr (what the quick start and the test harnesses read)
//     {"ts":"2026-11-23T09:10:00.123Z","level":"info","service":"tasks","msg":"listening","addr":"127.0.0.1:7003"}
//   json: the same objects on stdout, where container runtimes collect logs
//   text: readable lines on stderr
//     2026-11-23T09:10:00.123Z INFO tasks listening addr=127.0.0.1:7003 port=7003
// Thread-safe. The level and format are set once at start-up from --log_level and --log_format.
#ifndef LUOSHI_SERVICES_COMMON_LOG_H_
#define LUOSHI_SERVICES_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace luoshi {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogField = std::pair<std::string, std::string>;

// "debug", "info", "warning", "error"; false for anything else.
bool ParseLogLevel(const std::string& text, LogLevel* out);
void SetLogLevel(LogLevel level);

enum class LogFormat { kJsonStderr, kJsonStdout, kText };
// "" (JSON on stderr), "json" (JSON on stdout), "text" (readable, stderr); false for anything else.
bool ParseLogFormat(const std::string& text, LogFormat* out);
void SetLogFormat(LogFormat format);
// One event as a line (newline included) in `format`; what Log writes. Exposed for tests.
std::string FormatLogLine(LogFormat format, absl::Time now, LogLevel level, const std::string& service,
                          const std::string& msg, absl::Span<const LogField> fields);
void SetLogService(const std::string& service);

// `fields` may be a braced list or any container of LogField (a vector built at run time).
void Log(LogLevel level, const std::string& msg, absl::Span<const LogField> fields = {});
inline void LogInfo(const std::string& msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarning(const std::string& msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, msg, fields);
}
inline void LogError(const std::string& msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, msg, fields);
}

// A log line's time, UTC with milliseconds: "2026-11-23T09:10:00.123Z". The part up to the seconds is
// formatted once per second per thread (absl::FormatTime showed in the gateway's per-request cost).
std::string LogTimestamp(absl::Time now);

// JSON string escaping (quotes included), shared with anything else that writes JSON by hand.
std::string JsonQuote(const std::string& s);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_LOG_H_
