// Structured logs: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-23T09:10:00.123Z","level":"info","service":"tasks","msg":"listening","addr":"127.0.0.1:7003"}
// Thread-safe. The level is set once at start-up from --log_level.
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
