#include "services/tasks/test_util.h"

#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/common/fnv.h"
#include "services/tasks/unit_directory.h"

namespace luoshi::tasks::testing {
namespace {

// Tasks 1–7 of seed 004 are the plan's indicator targets.
const std::map<std::string, std::string>& IndicatorOfTask() {
  static const auto* m = new std::map<std::string, std::string>{
      {"1", "gdp"},           {"2", "general_budget_revenue"},
      {"3", "industrial_output_above_scale"},
      {"4", "retail_sales"},  {"5", "per_capita_disposable_income"},
      {"6", "energy_intensity"}, {"7", "water_use_total"}};
  return *m;
}

// "牵头领导:常务副区长" → value after the first ASCII or full-width colon, when the label matches.
bool FieldValue(const std::string& line, const std::string& label, std::string* value) {
  if (!absl::StartsWith(line, label)) return false;
  std::string rest = line.substr(label.size());
  if (absl::StartsWith(rest, ":")) {
    *value = rest.substr(1);
  } else if (absl::StartsWith(rest, "：")) {
    *value = rest.substr(std::string("：").size());
  } else {
    return false;
  }
  *value = TrimName(*value);
  return true;
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, "、", absl::SkipEmpty())) {
    out.push_back(TrimName(std::string(part)));
  }
  return out;
}

// "2023年12月31日" → "2023-12-31"; "" when not of that form.
std::string IsoFromChinese(const std::string& text) {
  int y = 0, m = 0, d = 0;
  size_t ny = text.find("年"), nm = text.find("月"), nd = text.find("日");
  if (ny == std::string::npos || nm == std::string::npos || nd == std::string::npos) return "";
  if (!absl::SimpleAtoi(text.substr(0, ny), &y) ||
      !absl::SimpleAtoi(text.substr(ny + 3, nm - ny - 3), &m) ||
      !absl::SimpleAtoi(text.substr(nm + 3, nd - nm - 3), &d)) {
    return "";
  }
  return absl::StrFormat("%04d-%02d-%02d", y, m, d);
}

bool IsSectionHeading(const std::string& line) {
  static const char* const kNumerals[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
  size_t pos = 0;
  bool any = false;
  while (true) {
    bool matched = false;
    for (const char* n : kNumerals) {
      if (line.compare(pos, std::string(n).size(), n) == 0) {
        pos += std::string(n).size();
        matched = any = true;
        break;
      }
    }
    if (!matched) break;
  }
  return any && line.compare(pos, std::string("、").size(), "、") == 0;
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  const char* root = std::getenv("LUOSHI_SOURCE_DIR");
  return root == nullptr ? relative : absl::StrCat(root, "/", relative);
}

absl::StatusOr<v1::ImportPlanRequest> PlanFromSeed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("seed ", path, " cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  v1::ImportPlanRequest request;
  request.set_document_id("seed-004");
  // A stand-in for the document hash: the content length and a simple checksum.
  request.set_document_sha256(absl::StrFormat("%016x%08x", Fnv1a64(text), text.size()));
  request.set_plan_key("大兴区|2023|区政府工作报告重点工作分工方案");
  request.set_title("2023年区政府工作报告重点工作分工方案");
  request.set_year(2023);
  request.set_region("大兴区");

  bool in_plan = false;
  std::string section;
  v1::TaskDefinition* task = nullptr;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    const std::string line = TrimName(std::string(raw));
    if (!in_plan) {
      in_plan = absl::StrContains(line, "分工方案(共计") || absl::StrContains(line, "分工方案（共计");
      continue;
    }
    if (line.empty()) continue;
    std::string value;
    if (IsSectionHeading(line)) {
      section = line;
    } else if (size_t dot = line.find('.'); dot != std::string::npos && dot > 0 && dot <= 3 &&
                                            std::all_of(line.begin(), line.begin() + dot, ::isdigit)) {
      task = request.add_tasks();
      task->set_number(line.substr(0, dot));
      task->set_text(line.substr(dot + 1));
      if (!section.empty()) task->add_section_path(section);
      auto it = IndicatorOfTask().find(task->number());
      if (it != IndicatorOfTask().end()) task->set_indicator_id(it->second);
    } else if (task != nullptr && FieldValue(line, "牵头领导", &value)) {
      for (const std::string& l : SplitList(value)) task->add_lead_leaders(l);
    } else if (task != nullptr && FieldValue(line, "主要责任单位", &value)) {
      for (const std::string& u : SplitList(value)) task->add_responsible_units(u);
    } else if (task != nullptr && FieldValue(line, "配合单位", &value)) {
      for (const std::string& u : SplitList(value)) task->add_cooperating_units(u);
    } else if (task != nullptr && FieldValue(line, "完成时限", &value)) {
      task->mutable_deadline()->set_text(value);
      task->mutable_deadline()->set_date(IsoFromChinese(value));
    }
  }
  if (request.tasks().empty()) return absl::InvalidArgumentError("no tasks found in " + path);
  return request;
}

}  // namespace luoshi::tasks::testing
