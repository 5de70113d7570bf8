// Status propagation for every service's own sources: one spelling instead of hand-made checks.
//
//   LUOSHI_RETURN_IF_ERROR(store_->Write(record));              // returns the error, if any
//   LUOSHI_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));  // declares stmt, or returns the error
//
// Both work in any function or lambda that returns absl::Status or absl::StatusOr<T>. Include this
// header from .cc files only, never from a public header (the macros would leak into every includer).
#ifndef LUOSHI_SERVICES_COMMON_STATUS_MACROS_H_
#define LUOSHI_SERVICES_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LUOSHI_RETURN_IF_ERROR(expr)                                                       \
  do {                                                                                     \
    if (absl::Status luoshi_status_ = (expr); !luoshi_status_.ok()) return luoshi_status_; \
  } while (0)

#define LUOSHI_STATUS_CONCAT_INNER_(a, b) a##b
#define LUOSHI_STATUS_CONCAT_(a, b) LUOSHI_STATUS_CONCAT_INNER_(a, b)

#define LUOSHI_ASSIGN_OR_RETURN(lhs, expr) \
  LUOSHI_ASSIGN_OR_RETURN_IMPL_(LUOSHI_STATUS_CONCAT_(luoshi_statusor_, __LINE__), lhs, expr)
#define LUOSHI_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                  \
  if (!var.ok()) return std::move(var).status();      \
  lhs = std::move(*var)

#endif  // LUOSHI_SERVICES_COMMON_STATUS_MACROS_H_
