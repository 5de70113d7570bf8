#include "services/tasks/unit_directory.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/status_macros.h"

namespace luoshi::tasks {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

const Value* Field(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::vector<std::string>> Strings(const Value* v, const std::string& where) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->has_list_value()) return absl::InvalidArgumentError(where + " must be a list of strings");
  for (const Value& item : v->list_value().values()) {
    if (!item.has_string_value() && item.kind_case() != Value::kStringValue) {
      return absl::InvalidArgumentError(where + " must be a list of strings");
    }
    out.push_back(item.string_value());
  }
  return out;
}

absl::StatusOr<CollectiveScope> ParseScope(const std::string& text, const std::string& where) {
  if (text.empty() || text == "none") return CollectiveScope::kNone;
  if (text == "all") return CollectiveScope::kAll;
  if (text == "localities") return CollectiveScope::kLocalities;
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": scope \"", text, "\" is not one of none, all, localities"));
}

}  // namespace

std::string TrimName(const std::string& s) {
  static const char* const kSpaces[] = {" ", "\t", "\n", "\r", "\xE3\x80\x80"};
  std::string out = s;
  bool changed = true;
  while (changed && !out.empty()) {
    changed = false;
    for (const char* sp : kSpaces) {
      const std::string space(sp);
      if (absl::StartsWith(out, space)) {
        out.erase(0, space.size());
        changed = true;
      }
      if (absl::EndsWith(out, space)) {
        out.erase(out.size() - space.size());
        changed = true;
      }
    }
  }
  return out;
}

absl::StatusOr<UnitDirectory> UnitDirectory::FromJson(const std::string& json) {
  Struct root;
  if (auto s = google::protobuf::util::JsonStringToMessage(json, &root); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("unit table is not valid JSON: ", s.ToString()));
  }
  UnitDirectory dir;
  if (const Value* units = Field(root, "units"); units != nullptr) {
    if (!units->has_list_value()) return absl::InvalidArgumentError("\"units\" must be a list");
    int index = 0;
    for (const Value& item : units->list_value().values()) {
      const std::string where = absl::StrCat("units[", index++, "]");
      if (!item.has_struct_value()) return absl::InvalidArgumentError(where + " must be an object");
      const Struct& u = item.struct_value();
      UnitEntry entry;
      const Value* name = Field(u, "name");
      if (name == nullptr || TrimName(name->string_value()).empty()) {
        return absl::InvalidArgumentError(where + " has no name");
      }
      entry.name = TrimName(name->string_value());
      LUOSHI_ASSIGN_OR_RETURN(auto aliases, Strings(Field(u, "aliases"), where + ".aliases"));
      const Value* scope = Field(u, "scope");
      LUOSHI_ASSIGN_OR_RETURN(auto parsed, ParseScope(scope ? scope->string_value() : "", where));
      entry.scope = parsed;
      for (const std::string& a : aliases) {
        const std::string alias = TrimName(a);
        auto [it, inserted] = dir.alias_to_name_.emplace(alias, entry.name);
        if (!inserted && it->second != entry.name) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": alias ", alias,
                                                         " already belongs to ", it->second));
        }
        entry.aliases.push_back(alias);
      }
      dir.scopes_[entry.name] = entry.scope;
      dir.entries_.push_back(std::move(entry));
    }
  }
  if (const Value* rules = Field(root, "prefix_rules"); rules != nullptr) {
    if (!rules->has_list_value()) return absl::InvalidArgumentError("\"prefix_rules\" must be a list");
    for (const Value& item : rules->list_value().values()) {
      const Value* from = item.has_struct_value() ? Field(item.struct_value(), "from") : nullptr;
      const Value* to = item.has_struct_value() ? Field(item.struct_value(), "to") : nullptr;
      if (from == nullptr || to == nullptr || from->string_value().empty()) {
        return absl::InvalidArgumentError("each prefix rule needs \"from\" and \"to\"");
      }
      dir.prefix_rules_.emplace_back(from->string_value(), to->string_value());
    }
  }
  LUOSHI_ASSIGN_OR_RETURN(auto suffixes, Strings(Field(root, "locality_suffixes"), "locality_suffixes"));
  dir.locality_suffixes_ = suffixes;
  return dir;
}

absl::StatusOr<UnitDirectory> UnitDirectory::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("unit table ", path, " cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto dir = FromJson(buffer.str());
  if (!dir.ok()) {
    return absl::Status(dir.status().code(), absl::StrCat(path, ": ", dir.status().message()));
  }
  return dir;
}

std::string UnitDirectory::Canonical(const std::string& written) const {
  std::string name = TrimName(written);
  for (const auto& [from, to] : prefix_rules_) {
    if (absl::StartsWith(name, from) && name.size() > from.size()) {
      name = to + name.substr(from.size());
      break;
    }
  }
  auto it = alias_to_name_.find(name);
  return it == alias_to_name_.end() ? name : it->second;
}

std::vector<std::string> UnitDirectory::CanonicalList(const std::vector<std::string>& written) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& w : written) {
    std::string c = Canonical(w);
    if (c.empty() || !seen.insert(c).second) continue;
    out.push_back(std::move(c));
  }
  return out;
}

CollectiveScope UnitDirectory::ScopeOf(const std::string& canonical) const {
  auto it = scopes_.find(canonical);
  return it == scopes_.end() ? CollectiveScope::kNone : it->second;
}

bool UnitDirectory::IsLocality(const std::string& canonical) const {
  for (const std::string& suffix : locality_suffixes_) {
    if (absl::EndsWith(canonical, suffix)) return true;
  }
  return false;
}

bool UnitDirectory::Covers(const std::string& responsible, const std::string& office_unit) const {
  if (office_unit.empty()) return false;
  if (responsible == office_unit) return true;
  switch (ScopeOf(responsible)) {
    case CollectiveScope::kAll: return ScopeOf(office_unit) == CollectiveScope::kNone;
    case CollectiveScope::kLocalities: return IsLocality(office_unit);
    case CollectiveScope::kNone: return false;
  }
  return false;
}

std::vector<std::string> UnitDirectory::AliasesOf(const std::string& canonical) const {
  for (const UnitEntry& e : entries_) {
    if (e.name == canonical) return e.aliases;
  }
  return {};
}

}  // namespace luoshi::tasks
