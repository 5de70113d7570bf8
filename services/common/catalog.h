// Loading the indicator and region catalog shipped as data (data/catalog.json) and looking names up.
#ifndef LUOSHI_SERVICES_COMMON_CATALOG_H_
#define LUOSHI_SERVICES_COMMON_CATALOG_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "luoshi/v1/indicators.pb.h"

namespace luoshi {

// Path of the catalog in the source tree, used when no --catalog flag or LUOSHI_CATALOG is given.
std::string DefaultCatalogPath();

// Reads a Catalog from proto3 JSON. NOT_FOUND if the file is missing, INVALID_ARGUMENT (with the parser's
// message) if it is malformed or an id is repeated.
absl::StatusOr<v1::Catalog> LoadCatalog(const std::string& path);

// Name/alias lookups over a loaded catalog. Immutable after construction: safe to share across threads.
class CatalogIndex {
 public:
  explicit CatalogIndex(v1::Catalog catalog);

  const v1::Catalog& catalog() const { return catalog_; }
  // By id, name or alias (exact match). nullptr when unknown.
  const v1::Indicator* FindIndicator(std::string_view name_or_alias) const;
  const v1::Region* FindRegion(std::string_view id_name_or_alias) const;

 private:
  v1::Catalog catalog_;
  std::map<std::string, int, std::less<>> indicators_;
  std::map<std::string, int, std::less<>> regions_;
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_CATALOG_H_
