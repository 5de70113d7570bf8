// Unit names as plans write them → one canonical name per office, so that a unit's ledger is complete
// whichever spelling a document used (区发改委 = 区发展改革委), plus the collective values that stand for
// many offices at once (各部门、各单位 / 相关属地 / 各镇街).
//
// The table is data (data/units.json, loaded at start-up); names not in it are kept as written after
// trimming and the prefix rules (大兴区发展改革委 → 区发展改革委). Immutable after construction, so
// safe to share between threads.
#ifndef LUOSHI_SERVICES_TASKS_UNIT_DIRECTORY_H_
#define LUOSHI_SERVICES_TASKS_UNIT_DIRECTORY_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace luoshi::tasks {

enum class CollectiveScope {
  kNone,        // an ordinary office
  kAll,         // 各部门、各单位: every office
  kLocalities,  // 相关属地 / 各镇街: the town and street offices
};

struct UnitEntry {
  std::string name;
  std::vector<std::string> aliases;
  CollectiveScope scope = CollectiveScope::kNone;
};

class UnitDirectory {
 public:
  // An empty directory: names are only trimmed (tests that do not care about aliases).
  UnitDirectory() = default;
  // Parses the JSON document described in data/units.json. INVALID_ARGUMENT on malformed input,
  // naming the offending entry.
  static absl::StatusOr<UnitDirectory> FromJson(const std::string& json);
  // Reads and parses a file. NOT_FOUND when it does not exist.
  static absl::StatusOr<UnitDirectory> Load(const std::string& path);

  // The canonical name for `written` (trimmed; aliases and prefix rules applied).
  std::string Canonical(const std::string& written) const;
  // Canonical names in order, duplicates removed (各部门 + 各单位 → one 各部门、各单位).
  std::vector<std::string> CanonicalList(const std::vector<std::string>& written) const;
  CollectiveScope ScopeOf(const std::string& canonical) const;
  // Whether an office of unit `office_unit` (canonical) is covered by `responsible` (canonical):
  // the same unit, or a collective that includes it.
  bool Covers(const std::string& responsible, const std::string& office_unit) const;
  bool IsLocality(const std::string& canonical) const;
  // Aliases known for a canonical name (empty when none).
  std::vector<std::string> AliasesOf(const std::string& canonical) const;
  const std::vector<UnitEntry>& entries() const { return entries_; }

 private:
  std::vector<UnitEntry> entries_;
  std::map<std::string, std::string> alias_to_name_;
  std::map<std::string, CollectiveScope> scopes_;
  std::vector<std::pair<std::string, std::string>> prefix_rules_;
  std::vector<std::string> locality_suffixes_;
};

// Trims ASCII and ideographic spaces.
std::string TrimName(const std::string& s);

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_UNIT_DIRECTORY_H_
