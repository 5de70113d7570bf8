// luoshi ingest FILE... / luoshi documents [ID]: uploading reports and looking at what was stored.
#include <fstream>
#include <ostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "services/cli/cli.h"
#include "services/cli/format.h"
#include "services/common/server.h"
#include "services/tasks/format.h"

namespace luoshi::cli {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ContentTypeOf(const std::string& path) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".docx")) return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (ends(".html") || ends(".htm")) return "text/html";
  if (ends(".txt")) return "text/plain";
  return "";
}

std::string DeliverySummary(const v1::Document& d) {
  std::string out;
  for (const auto& del : d.deliveries()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", del.target(), " ",
                    ShortEnumName(v1::DeliveryState_descriptor(), del.state()));
    if (!del.last_error().empty()) absl::StrAppend(&out, " (", del.last_error(), ")");
    if (del.left_out() > 0) absl::StrAppend(&out, " [", del.left_out(), " left out: ", del.left_out_reason(), "]");
  }
  return out.empty() ? "-" : out;
}

void PrintDocumentLine(std::ostream& out, const v1::Document& d) {
  const auto& m = d.metadata();
  std::string failed;
  for (const auto& del : d.deliveries()) {
    if (del.state() == v1::DELIVERY_STATE_FAILED) absl::StrAppend(&failed, "  [", del.target(), " delivery FAILED]");
  }
  using tasks::PadRight;
  out << PadRight(d.id(), 22) << " " << PadRight(ShortEnumName(v1::DocumentType_descriptor(), m.type()), 21) << " "
      << PadRight(m.region(), 18) << " "
      << absl::StrFormat("%4d  %3d figures %3d tasks  ", m.year(), d.observation_count(), d.task_count())
      << tasks::Shorten(m.title(), 60) << failed << "\n";
}

absl::Status Ingest(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {"region", "year", "format"}, {"dry_run"});
  if (!args.ok()) return args.status();
  if (args->positional().empty()) return absl::InvalidArgumentError("name at least one file to ingest");
  auto year = args->GetInt("year", 0);
  if (!year.ok()) return year.status();
  auto stub = v1::IngestionService::NewStub(MakeChannel(ctx.ingestion_addr));
  int failures = 0;
  for (const std::string& path : args->positional()) {
    auto bytes = ReadWholeFile(path);
    if (!bytes.ok()) {
      *ctx.err << path << ": " << bytes.status().message() << "\n";
      ++failures;
      continue;
    }
    v1::IngestDocumentRequest req;
    req.set_content(*bytes);
    req.set_filename(path.substr(path.find_last_of("/\\") + 1));
    req.set_content_type(ContentTypeOf(path));
    req.set_region_hint(args->Get("region"));
    req.set_year_hint(*year);
    req.set_dry_run(args->Has("dry_run"));
    v1::IngestDocumentResponse resp;
    grpc::ClientContext context;
    ctx.Prepare(&context);
    grpc::Status s = stub->IngestDocument(&context, req, &resp);
    if (!s.ok()) {
      *ctx.err << path << ": " << RpcError("ingestion", ctx.ingestion_addr, s).message() << "\n";
      ++failures;
      continue;
    }
    if (args->Get("format") == "json") {
      *ctx.out << ToJson(resp) << "\n";
      continue;
    }
    const auto& d = resp.document();
    *ctx.out << path << ": " << (req.dry_run() ? "extracted (dry run, nothing stored)"
                                 : resp.created() ? "stored as " + d.id()
                                                  : "already stored as " + d.id())
             << "\n  " << d.metadata().title() << " ["
             << ShortEnumName(v1::DocumentType_descriptor(), d.metadata().type()) << ", "
             << d.metadata().region() << ", " << d.metadata().year() << "]\n  "
             << resp.extraction().observations_size() << " indicator figures, " << resp.extraction().tasks_size()
             << " tasks; delivery: " << DeliverySummary(d) << "\n";
  }
  if (failures > 0) return absl::UnknownError(absl::StrCat(failures, " of ", args->positional().size(), " files failed"));
  return absl::OkStatus();
}

absl::Status Reprocess(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {"region", "year", "format"});
  if (!args.ok()) return args.status();
  if (args->positional().size() != 1) return absl::InvalidArgumentError("name one document id to reprocess");
  auto year = args->GetInt("year", 0);
  if (!year.ok()) return year.status();
  auto stub = v1::IngestionService::NewStub(MakeChannel(ctx.ingestion_addr));
  v1::ReprocessDocumentRequest req;
  req.set_document_id(args->positional()[0]);
  req.set_region_hint(args->Get("region"));
  req.set_year_hint(*year);
  v1::IngestDocumentResponse resp;
  grpc::ClientContext context;
  ctx.Prepare(&context);
  if (grpc::Status s = stub->ReprocessDocument(&context, req, &resp); !s.ok()) {
    return RpcError("ingestion", ctx.ingestion_addr, s);
  }
  if (args->Get("format") == "json") {
    *ctx.out << ToJson(resp) << "\n";
    return absl::OkStatus();
  }
  const auto& d = resp.document();
  *ctx.out << d.id() << ": reprocessed (extractor " << d.extractor_version() << ")\n  " << d.metadata().title()
           << " [" << ShortEnumName(v1::DocumentType_descriptor(), d.metadata().type()) << ", "
           << d.metadata().region() << ", " << d.metadata().year() << "]\n  " << d.observation_count()
           << " indicator figures, " << d.task_count() << " tasks; delivery: " << DeliverySummary(d) << "\n";
  return absl::OkStatus();
}

absl::Status Documents(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {"type", "region", "year", "format", "page_size"});
  if (!args.ok()) return args.status();
  auto stub = v1::IngestionService::NewStub(MakeChannel(ctx.ingestion_addr));
  bool json = args->Get("format") == "json";
  if (!args->positional().empty()) {
    v1::GetDocumentRequest req;
    req.set_document_id(args->positional()[0]);
    v1::Document d;
    grpc::ClientContext context;
    ctx.Prepare(&context);
    if (grpc::Status s = stub->GetDocument(&context, req, &d); !s.ok()) {
      return RpcError("ingestion", ctx.ingestion_addr, s);
    }
    if (json) {
      *ctx.out << ToJson(d) << "\n";
      return absl::OkStatus();
    }
    const auto& m = d.metadata();
    *ctx.out << "id:         " << d.id() << "\ntitle:      " << m.title()
             << "\ntype:       " << ShortEnumName(v1::DocumentType_descriptor(), m.type())
             << "\nregion:     " << m.region() << "\nyear:       " << m.year() << "  period " << m.period()
             << "\nissuer:     " << m.issuer() << "\nnumber:     " << m.document_number()
             << "\nwritten:    " << m.written_date() << "  published " << m.published_date()
             << "\nfile:       " << d.filename() << " (" << d.size_bytes() << " bytes, " << m.encoding() << ")"
             << "\nsha256:     " << d.sha256() << "\nextracted:  " << d.observation_count() << " figures, "
             << d.task_count() << " tasks (extractor " << d.extractor_version() << ")"
             << "\ndelivery:   " << DeliverySummary(d) << "\ningested:   " << FormatTime(d.ingested_at()) << "\n";
    return absl::OkStatus();
  }
  v1::ListDocumentsRequest req;
  if (args->Has("type")) {
    auto t = ParseEnum(v1::DocumentType_descriptor(), args->Get("type"));
    if (!t.ok()) return t.status();
    req.set_type(static_cast<v1::DocumentType>(*t));
  }
  req.set_region(args->Get("region"));
  auto year = args->GetInt("year", 0);
  if (!year.ok()) return year.status();
  req.set_year(*year);
  auto page_size = args->GetInt("page_size", 100);
  if (!page_size.ok()) return page_size.status();
  req.mutable_page()->set_page_size(*page_size);
  int shown = 0;
  do {
    v1::ListDocumentsResponse resp;
    grpc::ClientContext context;
    ctx.Prepare(&context);
    if (grpc::Status s = stub->ListDocuments(&context, req, &resp); !s.ok()) {
      return RpcError("ingestion", ctx.ingestion_addr, s);
    }
    for (const auto& d : resp.documents()) {
      if (json) {
        *ctx.out << ToJson(d) << "\n";
      } else {
        PrintDocumentLine(*ctx.out, d);
      }
      ++shown;
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  if (!json && shown == 0) *ctx.out << "no documents\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> IngestCommands() {
  return {{"ingest", "luoshi ingest FILE... [--region NAME] [--year YYYY] [--dry_run] [--format json]",
           "Uploads documents (text, HTML, .docx) and prints what was extracted.", Ingest},
          {"documents", "luoshi documents [ID] [--type T] [--region R] [--year Y] [--format json]",
           "Lists stored documents, or shows one.", Documents},
          {"reprocess", "luoshi reprocess ID [--year YYYY] [--region NAME] [--format json]",
           "Extracts a stored document again (with new hints, if given) and queues its deliveries again.",
           Reprocess}};
}

}  // namespace luoshi::cli
