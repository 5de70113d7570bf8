// Status propagation helpers for the task service's own sources (not for other components' headers).
#ifndef LUOSHI_SERVICES_TASKS_MACROS_H_
#define LUOSHI_SERVICES_TASKS_MACROS_H_

#define TASKS_RETURN_IF_ERROR(expr)           \
  do {                                        \
    if (absl::Status _st = (expr); !_st.ok()) \
      return _st;                             \
  } while (0)

#define TASKS_CONCAT_INNER(a, b) a##b
#define TASKS_CONCAT(a, b) TASKS_CONCAT_INNER(a, b)
#define TASKS_ASSIGN_OR_RETURN(lhs, expr) \
  TASKS_ASSIGN_OR_RETURN_IMPL(TASKS_CONCAT(_statusor_, __LINE__), lhs, expr)
#define TASKS_ASSIGN_OR_RETURN_IMPL(var, lhs, expr) \
  auto var = (expr);                                \
  if (!var.ok()) return var.status();               \
  lhs = std::move(*var)

#endif  // LUOSHI_SERVICES_TASKS_MACROS_H_
