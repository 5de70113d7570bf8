// Plain-text rendering of tasks and ledgers for terminals (`luoshi tasks …` in services/cli).
// Client-side helpers: they take the luoshi.v1 messages a client received and return text ending in a
// newline; no I/O, no gRPC. Column widths count CJK characters as two cells so tables line up.
#ifndef LUOSHI_SERVICES_TASKS_FORMAT_H_
#define LUOSHI_SERVICES_TASKS_FORMAT_H_

#include <string>

#include "absl/time/time.h"
#include "luoshi/v1/tasks.pb.h"

namespace luoshi::tasks {


// One line for a task: id, number, light, status, percent, deadline, lead unit, text (shortened).
std::string FormatTaskLine(const v1::Task& task);
// A header, one FormatTaskLine per task, and the total.
std::string FormatTaskList(const v1::ListTasksResponse& response);
// Full card: definition, state, indicator actual, then reports (newest first), reviews, journal.
std::string FormatTask(const v1::TaskDetail& detail);
// A table: key, tasks, done, in progress, not started, overdue, completion rate, last report.
std::string FormatLedger(const v1::Ledger& ledger);
// Three sections: overdue, due soon, without a report this period.
std::string FormatDueTasks(const v1::ListDueTasksResponse& response);
std::string FormatPlans(const v1::ListPlansResponse& response);
// One line for a single TaskEvent (watch output).
std::string FormatTaskEvent(const v1::TaskEvent& event);

// Terminal cells taken by UTF-8 text (CJK and full-width characters count two).
int DisplayWidth(const std::string& text);
// Pads with spaces to `width` cells (never truncates).
std::string PadRight(const std::string& text, int width);
// Cuts to at most `width` cells, adding "…" when cut.
std::string Shorten(const std::string& text, int width);

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_FORMAT_H_
