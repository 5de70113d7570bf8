// luoshi tasks plans|list|show|report|review|ledger|due|watch|export, and luoshi login.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/cli/cli.h"
#include "services/cli/format.h"
#include "services/common/server.h"
#include "services/tasks/format.h"

namespace luoshi::cli {
namespace {

using Stub = v1::TaskService::Stub;

absl::Status Check(const grpc::Status& s, const Context& ctx) {
  return s.ok() ? absl::OkStatus() : RpcError("tasks", ctx.tasks_addr, s);
}

// The request id of a report or review (tasks.proto request_id): --request_id, else a fresh random one
// (128 bits as 32 hex digits) per invocation.
std::string RequestIdOf(const Args& args) {
  if (args.Has("request_id")) return args.Get("request_id");
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  return id;
}

// Sends a report or review, and once more after a second when the first attempt got no answer
// (UNAVAILABLE: the service was down or restarting; DEADLINE_EXCEEDED: the reply may have been lost).
// The request carries its request id, so the second attempt never records it twice. A failure names
// the id, so the user can retry by hand with --request_id and still record it once.
template <typename Send>
absl::Status SendWrite(const Context& ctx, const std::string& request_id, Send send) {
  grpc::Status s;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    grpc::ClientContext context;
    ctx.Prepare(&context);
    s = send(&context);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE && s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      break;
    }
    if (attempt == 1) {
      *ctx.err << "no answer from the task service (" << s.error_message() << "); sending again with request id "
               << request_id << "\n";
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (s.ok()) return absl::OkStatus();
  absl::Status error = Check(s, ctx);
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::Status(error.code(), absl::StrCat(error.message(), "; it may or may not have been recorded: send "
                                                   "it again with --request_id ", request_id, " to record it once"));
  }
  return error;
}

absl::Status Plans(Context& ctx, Stub& stub, const Args&) {
  v1::ListPlansResponse resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.ListPlans(&context, v1::ListPlansRequest(), &resp), ctx); !s.ok()) return s;
  if (resp.plans().empty()) {
    *ctx.out << "no plans yet: ingest a division plan (luoshi ingest FILE)\n";
  } else {
    *ctx.out << tasks::FormatPlans(resp);
  }
  return absl::OkStatus();
}

absl::Status FillFilter(const Args& args, v1::TaskFilter* f) {
  f->set_plan_id(args.Get("plan"));
  f->set_unit(args.Get("unit"));
  f->set_leader(args.Get("leader"));
  f->set_due_before(args.Get("due_before"));
  f->set_due_after(args.Get("due_after"));
  f->set_text(args.Get("text"));
  if (args.Has("status")) {
    auto s = ParseEnum(v1::TaskStatus_descriptor(), args.Get("status"));
    if (!s.ok()) return s.status();
    f->set_status(static_cast<v1::TaskStatus>(*s));
  }
  if (args.Has("light")) {
    auto l = ParseEnum(v1::Light_descriptor(), args.Get("light"));
    if (!l.ok()) return l.status();
    f->set_light(static_cast<v1::Light>(*l));
  }
  return absl::OkStatus();
}

absl::Status List(Context& ctx, Stub& stub, const Args& args) {
  v1::ListTasksRequest req;
  if (auto s = FillFilter(args, req.mutable_filter()); !s.ok()) return s;
  req.mutable_page()->set_page_size(200);
  const bool json = args.Get("format") == "json";
  v1::ListTasksResponse all;  // every page, shown as one table
  do {
    v1::ListTasksResponse resp;
    grpc::ClientContext context;
    ctx.Prepare(&context);
    if (auto s = Check(stub.ListTasks(&context, req, &resp), ctx); !s.ok()) return s;
    for (const auto& t : resp.tasks()) {
      if (json) {
        *ctx.out << ToJson(t) << "\n";
      } else {
        *all.add_tasks() = t;
      }
    }
    all.set_total(resp.total());
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  if (!json) *ctx.out << tasks::FormatTaskList(all);
  return absl::OkStatus();
}

absl::Status Show(Context& ctx, Stub& stub, const Args& args) {
  if (args.positional().size() != 1) return absl::InvalidArgumentError("name one task id");
  v1::GetTaskRequest req;
  req.set_id(args.positional()[0]);
  v1::TaskDetail resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.GetTask(&context, req, &resp), ctx); !s.ok()) return s;
  if (args.Get("format") == "json") {
    *ctx.out << ToJson(resp) << "\n";
    return absl::OkStatus();
  }
  *ctx.out << tasks::FormatTask(resp);
  return absl::OkStatus();
}

absl::Status Report(Context& ctx, Stub& stub, const Args& args) {
  if (args.positional().size() != 1) return absl::InvalidArgumentError("name one task id");
  v1::ReportProgressRequest req;
  req.set_task_id(args.positional()[0]);
  req.set_period(args.Get("period"));
  if (args.Has("percent")) {
    auto p = args.GetInt("percent", 0);
    if (!p.ok()) return p.status();
    req.set_percent(*p);
  } else if (args.Has("stage")) {
    req.set_stage(args.Get("stage"));
  } else if (!args.Has("complete")) {
    return absl::InvalidArgumentError("give --percent N or --stage TEXT (or --complete)");
  }
  req.set_narrative(args.Get("narrative"));
  req.set_problems(args.Get("problems"));
  req.set_next_steps(args.Get("next"));
  if (args.Has("evidence")) req.add_evidence_links(args.Get("evidence"));
  req.set_claims_completion(args.Has("complete"));
  req.set_request_id(RequestIdOf(args));
  v1::Task resp;
  auto send = [&](grpc::ClientContext* context) { return stub.ReportProgress(context, req, &resp); };
  if (auto s = SendWrite(ctx, req.request_id(), send); !s.ok()) return s;
  *ctx.out << "reported:\n" << tasks::FormatTaskLine(resp);
  return absl::OkStatus();
}

absl::Status ReviewCmd(Context& ctx, Stub& stub, const Args& args) {
  if (args.positional().size() != 1) return absl::InvalidArgumentError("name one task id");
  if (args.Has("accept") == args.Has("return")) return absl::InvalidArgumentError("give --accept or --return");
  v1::ReviewTaskRequest req;
  req.set_task_id(args.positional()[0]);
  req.set_accept(args.Has("accept"));
  req.set_comment(args.Get("comment"));
  req.set_request_id(RequestIdOf(args));
  v1::Task resp;
  auto send = [&](grpc::ClientContext* context) { return stub.ReviewTask(context, req, &resp); };
  if (auto s = SendWrite(ctx, req.request_id(), send); !s.ok()) return s;
  *ctx.out << "reviewed:\n" << tasks::FormatTaskLine(resp);
  return absl::OkStatus();
}

absl::StatusOr<v1::LedgerGrouping> ParseGrouping(const Args& args) {
  std::string by = args.Get("by", "unit");
  auto g = ParseEnum(v1::LedgerGrouping_descriptor(), by);
  if (!g.ok()) return g.status();
  return static_cast<v1::LedgerGrouping>(*g);
}

absl::Status LedgerCmd(Context& ctx, Stub& stub, const Args& args) {
  v1::GetLedgerRequest req;
  req.set_plan_id(args.Get("plan"));
  auto grouping = ParseGrouping(args);
  if (!grouping.ok()) return grouping.status();
  req.set_grouping(*grouping);
  v1::Ledger resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.GetLedger(&context, req, &resp), ctx); !s.ok()) return s;
  if (args.Get("format") == "json") {
    *ctx.out << ToJson(resp) << "\n";
    return absl::OkStatus();
  }
  *ctx.out << tasks::FormatLedger(resp);
  return absl::OkStatus();
}

absl::Status Due(Context& ctx, Stub& stub, const Args& args) {
  v1::ListDueTasksRequest req;
  req.set_plan_id(args.Get("plan"));
  req.set_unit(args.Get("unit"));
  auto within = args.GetInt("within", 14);
  if (!within.ok()) return within.status();
  req.set_within_days(*within);
  v1::ListDueTasksResponse resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.ListDueTasks(&context, req, &resp), ctx); !s.ok()) return s;
  *ctx.out << tasks::FormatDueTasks(resp);
  return absl::OkStatus();
}

absl::Status Watch(Context& ctx, Stub& stub, const Args& args) {
  v1::WatchTasksRequest req;
  if (auto s = FillFilter(args, req.mutable_filter()); !s.ok()) return s;
  // --after SEQ: first the changes after the one numbered SEQ (each line starts with its number).
  if (args.Has("after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(args.Get("after"), &after) || after < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--after takes the number (#N) of the last change seen, not \"", args.Get("after"), "\""));
    }
    req.set_after_sequence(after);
  }
  grpc::ClientContext context;
  if (!ctx.token.empty()) AttachToken(ctx.token, &context);  // no deadline: watches until Ctrl-C
  auto reader = stub.WatchTasks(&context, req);
  v1::TaskEvent event;
  while (reader->Read(&event)) {
    *ctx.out << "#" << event.sequence() << "  " << tasks::FormatTaskEvent(event);
    ctx.out->flush();
  }
  return Check(reader->Finish(), ctx);
}

absl::Status Export(Context& ctx, Stub& stub, const Args& args) {
  v1::ExportTasksRequest req;
  if (args.Has("ledger")) {
    req.mutable_ledger()->set_plan_id(args.Get("plan"));
    auto grouping = ParseGrouping(args);
    if (!grouping.ok()) return grouping.status();
    req.mutable_ledger()->set_grouping(*grouping);
  } else if (auto s = FillFilter(args, req.mutable_tasks()); !s.ok()) {
    return s;
  }
  grpc::ClientContext context;
  ctx.Prepare(&context);
  auto reader = stub.ExportTasks(&context, req);
  v1::TaskExportChunk chunk;
  while (reader->Read(&chunk)) ctx.out->write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
  return Check(reader->Finish(), ctx);
}

absl::Status Tasks(Context& ctx, const std::vector<std::string>& words) {
  if (words.empty()) {
    return absl::InvalidArgumentError("choose one of: plans, list, show, report, review, ledger, due, watch, export");
  }
  auto args = Args::Parse({words.begin() + 1, words.end()},
                          {"plan", "unit", "leader", "status", "light", "due_before", "due_after", "text", "format",
                           "period", "percent", "stage", "narrative", "problems", "next", "evidence", "comment", "by",
                           "within", "request_id", "after"},
                          {"complete", "accept", "return", "ledger"});
  if (!args.ok()) return args.status();
  auto stub = v1::TaskService::NewStub(MakeChannel(ctx.tasks_addr));
  const std::string& sub = words[0];
  if (sub == "plans") return Plans(ctx, *stub, *args);
  if (sub == "list") return List(ctx, *stub, *args);
  if (sub == "show") return Show(ctx, *stub, *args);
  if (sub == "report") return Report(ctx, *stub, *args);
  if (sub == "review") return ReviewCmd(ctx, *stub, *args);
  if (sub == "ledger") return LedgerCmd(ctx, *stub, *args);
  if (sub == "due") return Due(ctx, *stub, *args);
  if (sub == "watch") return Watch(ctx, *stub, *args);
  if (sub == "export") return Export(ctx, *stub, *args);
  return absl::InvalidArgumentError(absl::StrCat("unknown subcommand \"", sub, "\""));
}

}  // namespace

std::vector<Command> TaskCommands() {
  return {{"tasks",
           "luoshi tasks plans | list [--plan P] [--unit U] [--leader L] [--status S] [--light L] [--text T] | "
           "show ID | report ID (--percent N | --stage S) [--narrative T] [--problems T] [--next T] [--evidence URL] "
           "[--complete] [--request_id ID] | review ID (--accept | --return) [--comment T] [--request_id ID] | ledger [--plan P] [--by unit|leader|section] "
           "| due [--within DAYS] | watch [--after N] [filters] | export [--ledger] [filters] > file.csv",
           "Division-plan tasks: lists, progress reports, reviews, ledgers, reminders, live changes.", Tasks}};
}

}  // namespace luoshi::cli
