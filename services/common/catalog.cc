#include "services/common/catalog.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace luoshi {

std::string DefaultCatalogPath() {
#ifdef LUOSHI_SOURCE_DIR
  return std::string(LUOSHI_SOURCE_DIR) + "/data/catalog.json";
#else
  return "data/catalog.json";
#endif
}

absl::StatusOr<v1::Catalog> LoadCatalog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open catalog file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  v1::Catalog catalog;
  auto status = google::protobuf::util::JsonStringToMessage(buffer.str(), &catalog);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("catalog ", path, " is not valid: ", std::string(status.message())));
  }
  std::set<std::string> ids;
  for (const auto& i : catalog.indicators()) {
    if (i.id().empty() || !ids.insert(i.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("catalog ", path, ": indicator id \"", i.id(), "\" is empty or repeated"));
    }
  }
  for (const auto& r : catalog.regions()) {
    if (r.id().empty() || !ids.insert("region:" + r.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("catalog ", path, ": region id \"", r.id(), "\" is empty or repeated"));
    }
  }
  return catalog;
}

CatalogIndex::CatalogIndex(v1::Catalog catalog) : catalog_(std::move(catalog)) {
  for (int i = 0; i < catalog_.indicators_size(); ++i) {
    const auto& ind = catalog_.indicators(i);
    indicators_.emplace(ind.id(), i);
    indicators_.emplace(ind.name(), i);
    for (const auto& a : ind.aliases()) indicators_.emplace(a, i);
  }
  for (int i = 0; i < catalog_.regions_size(); ++i) {
    const auto& r = catalog_.regions(i);
    regions_.emplace(r.id(), i);
    regions_.emplace(r.name(), i);
    for (const auto& a : r.aliases()) regions_.emplace(a, i);
  }
}

const v1::Indicator* CatalogIndex::FindIndicator(std::string_view name) const {
  auto it = indicators_.find(name);
  return it == indicators_.end() ? nullptr : &catalog_.indicators(it->second);
}

const v1::Region* CatalogIndex::FindRegion(std::string_view name) const {
  auto it = regions_.find(name);
  return it == regions_.end() ? nullptr : &catalog_.regions(it->second);
}

}  // namespace luoshi
