// luoshi extract FILE: runs the extraction library offline, on this machine, with no service involved.
#include <fstream>
#include <ostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "services/cli/cli.h"
#include "services/cli/format.h"
#include "services/common/catalog.h"
#include "services/ingestion/extract/extractor.h"

namespace luoshi::cli {
namespace {

absl::Status Extract(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {"format", "region", "year", "catalog"});
  if (!args.ok()) return args.status();
  if (args->positional().size() != 1) return absl::InvalidArgumentError("name one file");
  std::string format = args->Get("format", "text");
  if (format != "text" && format != "json") return absl::InvalidArgumentError("--format is text or json");
  auto year = args->GetInt("year", 0);
  if (!year.ok()) return year.status();
  auto catalog = LoadCatalog(args->Get("catalog", DefaultCatalogPath()));
  if (!catalog.ok()) return catalog.status();
  const std::string& path = args->positional()[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream bytes;
  bytes << in.rdbuf();
  extract::ExtractOptions options;
  options.filename = path.substr(path.find_last_of("/\\") + 1);
  options.region_hint = args->Get("region");
  options.year_hint = *year;
  extract::Extractor extractor(*catalog);
  auto extraction = extractor.Extract(bytes.str(), options);
  if (!extraction.ok()) return extraction.status();
  if (format == "json") {
    *ctx.out << ToJson(*extraction) << "\n";
  } else {
    *ctx.out << extract::FormatExtractionText(*extraction);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> ExtractCommands() {
  return {{"extract", "luoshi extract FILE [--format text|json] [--region NAME] [--year YYYY] [--catalog FILE]",
           "Extracts indicators and tasks from a document offline and prints them (json: canonical proto3 JSON).",
           Extract}};
}

}  // namespace luoshi::cli
