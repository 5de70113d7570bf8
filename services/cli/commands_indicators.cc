// luoshi indicators list|show|regions|series|query|compare|export
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "services/cli/cli.h"
#include "services/cli/format.h"
#include "services/common/server.h"
#include "services/indicators/format.h"
#include "services/tasks/format.h"

namespace luoshi::cli {
namespace {

using Stub = v1::IndicatorService::Stub;

// "2024  growth rate  actual  增长5.2%  gdp": period, measure, status, figure and (unless the caller
// already named it, as a series does) the indicator.
std::string ObservationLine(const v1::Observation& o, bool with_indicator = true) {
  using tasks::PadRight;
  std::string line = absl::StrCat(PadRight(o.period(), 12), " ", PadRight(indicators::MeasureLabel(o.measure()), 12),
                                  " ", PadRight(indicators::StatusLabel(o.status()), 9), " ",
                                  indicators::FormatObservationValue(o));
  if (!with_indicator) return line;
  return absl::StrCat(PadRight(line, 12 + 1 + 12 + 1 + 9 + 1 + 16), " ",
                      o.indicator_id().empty() ? o.surface_name() : o.indicator_id());
}

void PrintSource(std::ostream& out, const v1::Observation& o) {
  const auto& p = o.provenance();
  if (p.sentence().empty()) return;
  out << "    ↳ " << p.document_id() << ": " << tasks::Shorten(p.sentence(), 160) << "\n";
}

absl::Status Check(const grpc::Status& s, const Context& ctx) {
  return s.ok() ? absl::OkStatus() : RpcError("indicators", ctx.indicators_addr, s);
}

absl::Status List(Context& ctx, Stub& stub, const Args& args) {
  v1::ListIndicatorsRequest req;
  req.set_category(args.Get("category"));
  req.set_query(args.positional().empty() ? args.Get("query") : args.positional()[0]);
  v1::ListIndicatorsResponse resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.ListIndicators(&context, req, &resp), ctx); !s.ok()) return s;
  for (const auto& i : resp.indicators()) {
    *ctx.out << tasks::PadRight(i.id(), 32) << " " << tasks::PadRight(i.category(), 10) << " "
             << tasks::PadRight(ShortEnumName(v1::IndicatorNature_descriptor(), i.nature()), 9) << " "
             << tasks::PadRight(i.default_unit(), 8) << " " << i.name() << "\n";
  }
  return absl::OkStatus();
}

absl::Status Regions(Context& ctx, Stub& stub, const Args&) {
  v1::ListRegionsResponse resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.ListRegions(&context, v1::ListRegionsRequest(), &resp), ctx); !s.ok()) return s;
  for (const auto& r : resp.regions()) {
    *ctx.out << tasks::PadRight(r.id(), 20) << " " << tasks::PadRight(r.name(), 20) << " parent=" << r.parent_id()
             << " aliases=" << absl::StrJoin(r.aliases(), ",") << "\n";
  }
  return absl::OkStatus();
}

absl::Status Series(Context& ctx, Stub& stub, const Args& args) {
  if (args.positional().size() != 2) return absl::InvalidArgumentError("name an indicator and a region");
  v1::GetSeriesRequest req;
  req.set_indicator_id(args.positional()[0]);
  req.set_region(args.positional()[1]);
  req.set_include_history(args.Has("history"));
  if (args.Has("measure")) {
    auto m = ParseEnum(v1::Measure_descriptor(), args.Get("measure"));
    if (!m.ok()) return m.status();
    req.set_measure(static_cast<v1::Measure>(*m));
  }
  if (args.Has("status")) {
    auto st = ParseEnum(v1::ObservationStatus_descriptor(), args.Get("status"));
    if (!st.ok()) return st.status();
    req.set_status(static_cast<v1::ObservationStatus>(*st));
  }
  v1::Series resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.GetSeries(&context, req, &resp), ctx); !s.ok()) return s;
  if (args.Get("format") == "json") {
    *ctx.out << ToJson(resp) << "\n";
    return absl::OkStatus();
  }
  *ctx.out << resp.indicator().name() << " (" << resp.indicator().id() << ") — " << resp.region().name() << "\n";
  if (resp.points().empty()) *ctx.out << "no figures yet\n";
  for (const auto& p : resp.points()) {
    *ctx.out << ObservationLine(p.observation(), false) << "\n";
    PrintSource(*ctx.out, p.observation());
    for (const auto& h : p.history()) {
      *ctx.out << "  earlier: " << ObservationLine(h, false) << "\n";
      PrintSource(*ctx.out, h);
    }
  }
  return absl::OkStatus();
}

absl::Status FillQuery(const Args& args, v1::QueryObservationsRequest* req) {
  if (args.Has("indicator")) {
    for (absl::string_view id : absl::StrSplit(args.Get("indicator"), ',')) req->add_indicator_ids(std::string(id));
  }
  req->set_region(args.Get("region"));
  req->set_include_child_regions(args.Has("children"));
  req->set_period_from(args.Get("from"));
  req->set_period_to(args.Get("to"));
  req->set_document_id(args.Get("document"));
  req->set_all_vintages(args.Has("history"));
  if (args.Has("measure")) {
    auto m = ParseEnum(v1::Measure_descriptor(), args.Get("measure"));
    if (!m.ok()) return m.status();
    req->set_measure(static_cast<v1::Measure>(*m));
  }
  if (args.Has("status")) {
    auto st = ParseEnum(v1::ObservationStatus_descriptor(), args.Get("status"));
    if (!st.ok()) return st.status();
    req->set_status(static_cast<v1::ObservationStatus>(*st));
  }
  return absl::OkStatus();
}

absl::Status Query(Context& ctx, Stub& stub, const Args& args) {
  v1::QueryObservationsRequest req;
  if (auto s = FillQuery(args, &req); !s.ok()) return s;
  req.mutable_page()->set_page_size(200);
  int shown = 0;
  do {
    v1::QueryObservationsResponse resp;
    grpc::ClientContext context;
    ctx.Prepare(&context);
    if (auto s = Check(stub.QueryObservations(&context, req, &resp), ctx); !s.ok()) return s;
    for (const auto& o : resp.observations()) {
      *ctx.out << tasks::PadRight(o.region(), 14) << " " << ObservationLine(o) << "\n";
      if (args.Has("sources")) PrintSource(*ctx.out, o);
      ++shown;
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  *ctx.out << shown << " figures\n";
  return absl::OkStatus();
}

absl::Status Compare(Context& ctx, Stub& stub, const Args& args) {
  v1::CompareTargetsRequest req;
  req.set_region(args.Get("region"));
  auto year = args.GetInt("year", 0);
  if (!year.ok()) return year.status();
  if (req.region().empty() || *year == 0) return absl::InvalidArgumentError("give --region and --year");
  req.set_year(*year);
  v1::CompareTargetsResponse resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (auto s = Check(stub.CompareTargets(&context, req, &resp), ctx); !s.ok()) return s;
  if (args.Get("format") == "json") {
    *ctx.out << ToJson(resp) << "\n";
    return absl::OkStatus();
  }
  if (resp.comparisons().empty()) *ctx.out << "no targets for " << req.region() << " " << req.year() << "\n";
  for (const auto& c : resp.comparisons()) {
    const auto& t = c.target();
    *ctx.out << tasks::PadRight(indicators::VerdictLabel(c.verdict()), 14) << " "
             << tasks::PadRight(t.indicator_id().empty() ? t.surface_name() : t.indicator_id(), 30) << " "
             << c.explanation() << "\n";
    if (args.Has("sources")) {
      PrintSource(*ctx.out, t);
      if (c.has_actual()) PrintSource(*ctx.out, c.actual());
    }
  }
  return absl::OkStatus();
}

absl::Status Export(Context& ctx, Stub& stub, const Args& args) {
  v1::ExportObservationsRequest req;
  if (auto s = FillQuery(args, req.mutable_filter()); !s.ok()) return s;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  auto reader = stub.ExportObservations(&context, req);
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) ctx.out->write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
  return Check(reader->Finish(), ctx);
}

absl::Status Indicators(Context& ctx, const std::vector<std::string>& words) {
  if (words.empty()) {
    return absl::InvalidArgumentError("choose one of: list, regions, series, query, compare, export");
  }
  auto args = Args::Parse({words.begin() + 1, words.end()},
                          {"category", "query", "measure", "status", "format", "indicator", "region", "from", "to",
                           "document", "year"},
                          {"history", "children", "sources"});
  if (!args.ok()) return args.status();
  auto stub = v1::IndicatorService::NewStub(MakeChannel(ctx.indicators_addr));
  const std::string& sub = words[0];
  if (sub == "list") return List(ctx, *stub, *args);
  if (sub == "regions") return Regions(ctx, *stub, *args);
  if (sub == "series") return Series(ctx, *stub, *args);
  if (sub == "query") return Query(ctx, *stub, *args);
  if (sub == "compare") return Compare(ctx, *stub, *args);
  if (sub == "export") return Export(ctx, *stub, *args);
  return absl::InvalidArgumentError(absl::StrCat("unknown subcommand \"", sub, "\""));
}

}  // namespace

std::vector<Command> IndicatorCommands() {
  return {{"indicators",
           "luoshi indicators list [QUERY] [--category C] | regions | series INDICATOR REGION [--measure M] "
           "[--history] | query [--indicator IDS] [--region R] [--children] [--from P] [--to P] [--sources] | "
           "compare --region R --year Y [--sources] | export [query options] > file.csv",
           "Indicator catalog, series with their source sentences, targets judged against actuals, CSV export.",
           Indicators}};
}

}  // namespace luoshi::cli
