#include "services/ingestion/extract/golden.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/decimal.h"

namespace luoshi::extract {
namespace {

std::string Trimmed(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

std::string MeasureName(v1::Measure m) {
  switch (m) {
    case v1::MEASURE_LEVEL: return "level";
    case v1::MEASURE_GROWTH_RATE: return "growth_rate";
    case v1::MEASURE_PERCENTAGE_POINTS: return "pp";
    case v1::MEASURE_SHARE: return "share";
    case v1::MEASURE_PROGRESS: return "progress";
    case v1::MEASURE_MULTIPLE: return "multiple";
    case v1::MEASURE_QUALITATIVE: return "qualitative";
    case v1::MEASURE_CHANGE: return "change";
    default: return "unspecified";
  }
}
std::string BoundName(v1::Bound b) {
  switch (b) {
    case v1::BOUND_EXACT: return "exact";
    case v1::BOUND_AT_LEAST: return "at_least";
    case v1::BOUND_MORE_THAN: return "more_than";
    case v1::BOUND_AT_MOST: return "at_most";
    case v1::BOUND_LESS_THAN: return "less_than";
    case v1::BOUND_ABOUT: return "about";
    case v1::BOUND_RANGE: return "range";
    default: return "-";
  }
}
std::string StatusName(v1::ObservationStatus s) {
  switch (s) {
    case v1::OBSERVATION_STATUS_ACTUAL: return "actual";
    case v1::OBSERVATION_STATUS_TARGET: return "target";
    case v1::OBSERVATION_STATUS_FORECAST: return "forecast";
    default: return "-";
  }
}
std::string DirName(v1::ChangeDirection d) {
  switch (d) {
    case v1::CHANGE_DIRECTION_UP: return "up";
    case v1::CHANGE_DIRECTION_DOWN: return "down";
    case v1::CHANGE_DIRECTION_FLAT: return "flat";
    default: return "-";
  }
}
std::string TypeName(v1::DocumentType t) {
  switch (t) {
    case v1::DOCUMENT_TYPE_PLAN_EXECUTION_REPORT: return "plan_execution_report";
    case v1::DOCUMENT_TYPE_WORK_REPORT: return "work_report";
    case v1::DOCUMENT_TYPE_DIVISION_PLAN: return "division_plan";
    case v1::DOCUMENT_TYPE_STATISTICAL_BULLETIN: return "statistical_bulletin";
    case v1::DOCUMENT_TYPE_OTHER: return "other";
    default: return "-";
  }
}

bool SameDecimal(const std::string& text, const v1::Decimal& d) {
  auto parsed = ParseDecimal(text);
  return parsed.ok() && CompareDecimal(*parsed, d) == 0;
}

bool Matches(const GoldenObservation& g, const v1::Observation& o) {
  if (g.core() ? g.indicator != o.indicator_id() : !o.indicator_id().empty()) return false;
  if (!g.core()) {
    auto it = g.extra.find("surface");
    if (it != g.extra.end() && it->second != o.surface_name()) return false;
  }
  if (g.region != o.region() || g.period != o.period() || g.measure != MeasureName(o.measure()) ||
      g.status != StatusName(o.status())) {
    return false;
  }
  if (g.value == "-") {
    if (o.has_value()) return false;
  } else {
    if (!o.has_value() || !SameDecimal(g.value, o.value().value()) || g.unit != o.value().unit() ||
        g.bound != BoundName(o.bound())) {
      return false;
    }
  }
  for (const auto& [k, v] : g.extra) {
    if (k == "dir" && v != DirName(o.change_direction())) return false;
    if (k == "base" && v != o.comparison_base()) return false;
    if (k == "upper" && (!o.has_upper_value() || !SameDecimal(v, o.upper_value()))) return false;
    if (k == "text" && o.qualitative_text().find(v) == std::string::npos) return false;
  }
  return true;
}

std::string At(const GoldenCase& c, int line) { return absl::StrCat(c.path, ":", line, ": "); }

}  // namespace

std::string DescribeObservation(const v1::Observation& o) {
  std::string value = "-", unit = "-", bound = "-";
  if (o.has_value()) {
    value = FormatDecimal(o.value().value());
    unit = o.value().unit();
    bound = BoundName(o.bound());
  }
  return absl::StrCat("obs ", o.indicator_id().empty() ? "-" : o.indicator_id(), " ", o.region(), " ",
                      o.period(), " ", MeasureName(o.measure()), " ", value, " ", unit, " ", bound, " ",
                      StatusName(o.status()), " dir=", DirName(o.change_direction()),
                      o.comparison_base().empty() ? "" : " base=" + o.comparison_base(),
                      " surface=", o.surface_name(), "  «", o.qualitative_text(), "»");
}

absl::StatusOr<GoldenCase> ParseGoldenFile(const std::string& path, const std::string& source_dir) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read golden file ", path));
  GoldenCase c;
  c.path = path;
  c.name = path.substr(path.find_last_of('/') + 1);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string t = Trimmed(line);
    if (t.empty() || t[0] == '#') continue;
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", why));
    };
    std::vector<std::string> words = absl::StrSplit(t, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string& kind = words[0];
    if (kind == "input") {
      if (words.size() != 2) return bad("input takes one path");
      c.input_path = source_dir + "/" + words[1];
    } else if (kind == "meta") {
      if (words.size() < 2) return bad("meta KEY VALUE");
      std::string value = words.size() > 2 ? Trimmed(t.substr(t.find(words[1]) + words[1].size())) : "";
      c.meta.push_back({number, {words[1], value}});
    } else if (kind == "obs" || kind == "xobs") {
      if (words.size() < 9) return bad("obs needs 8 fields: indicator region period measure value unit bound status");
      GoldenObservation g;
      g.line = number;
      g.known_miss = kind == "xobs";
      g.indicator = words[1], g.region = words[2], g.period = words[3], g.measure = words[4];
      if (g.region == "-") g.region.clear();  // a place outside the catalog: no region recognised
      g.value = words[5], g.unit = words[6], g.bound = words[7], g.status = words[8];
      for (size_t i = 9; i < words.size(); ++i) {
        size_t eq = words[i].find('=');
        if (eq == std::string::npos) return bad("extra fields are key=value");
        g.extra[words[i].substr(0, eq)] = words[i].substr(eq + 1);
      }
      c.observations.push_back(g);
    } else if (kind == "task") {
      std::vector<std::string> f = absl::StrSplit(t.substr(4), '|');
      if (f.size() != 9) return bad("task needs 9 |-separated fields");
      for (auto& x : f) x = Trimmed(x);
      c.tasks.push_back({number, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]});
    } else if (kind == "milestone") {
      if (words.size() < 5) return bad("milestone TASK VALUE UNIT BOUND [upper=V]");
      GoldenMilestone m{number, words[1], words[2], words[3], words[4], ""};
      if (words.size() > 5 && words[5].rfind("upper=", 0) == 0) m.upper = words[5].substr(6);
      c.milestones.push_back(m);
    } else if (kind == "tasks") {
      if (words.size() != 2) return bad("tasks COUNT");
      c.task_count = std::stoi(words[1]);
      c.task_count_line = number;
    } else {
      return bad(absl::StrCat("unknown line kind '", kind, "'"));
    }
  }
  if (c.input_path.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no input line"));
  return c;
}

absl::StatusOr<std::vector<GoldenCase>> LoadGoldenCases(const std::string& source_dir) {
  std::string dir = source_dir + "/services/ingestion/extract/testdata/golden";
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* ent = readdir(d)) {
      std::string name = ent->d_name;
      if (name.size() > 7 && name.substr(name.size() - 7) == ".golden") files.push_back(dir + "/" + name);
    }
    closedir(d);
  } else {
    return absl::NotFoundError(absl::StrCat("no golden directory ", dir));
  }
  std::sort(files.begin(), files.end());
  std::vector<GoldenCase> cases;
  for (const auto& f : files) {
    auto c = ParseGoldenFile(f, source_dir);
    if (!c.ok()) return c.status();
    cases.push_back(std::move(*c));
  }
  return cases;
}

ObservationComparison CompareObservations(const GoldenCase& c, const v1::Extraction& e) {
  ObservationComparison r;
  std::vector<bool> used(e.observations_size(), false);
  std::set<int> annotated_sentences;
  for (const auto& g : c.observations) {
    ++r.all.expected;
    if (g.core()) ++r.core.expected;
    int found = -1;
    for (int i = 0; i < e.observations_size() && found < 0; ++i) {
      if (!used[i] && Matches(g, e.observations(i))) found = i;
    }
    if (found < 0) {
      if (!g.known_miss) {
        std::string hint;
        for (const auto& o : e.observations()) {
          if (g.core() && o.indicator_id() == g.indicator) absl::StrAppend(&hint, "\n    have: ", DescribeObservation(o));
        }
        r.failures.push_back(absl::StrCat(At(c, g.line), "not extracted: obs ", g.indicator, " ", g.region, " ",
                                          g.period, " ", g.measure, " ", g.value, " ", g.unit, " ", g.bound,
                                          " ", g.status, hint));
      }
      continue;
    }
    if (g.known_miss) {
      r.failures.push_back(absl::StrCat(At(c, g.line), "marked xobs (known miss) but now extracted: make it obs"));
    }
    used[found] = true;
    ++r.all.matched;
    if (g.core()) ++r.core.matched;
    annotated_sentences.insert(e.observations(found).provenance().sentence_index());
  }
  for (int i = 0; i < e.observations_size(); ++i) {
    const auto& o = e.observations(i);
    if (!o.indicator_id().empty()) {
      ++r.core.extracted;
      if (!used[i]) r.extra.push_back(absl::StrCat(c.path, ": unexpected: ", DescribeObservation(o),
                                                   "\n    in: ", o.provenance().sentence()));
    }
    if (annotated_sentences.count(o.provenance().sentence_index())) {
      ++r.all.extracted;
      if (!used[i]) r.unmatched.push_back(absl::StrCat(c.path, ": no line for: ", DescribeObservation(o),
                                                        "\n    in: ", o.provenance().sentence()));
    }
  }
  return r;
}

std::vector<std::string> CheckMetadataAndTasks(const GoldenCase& c, const v1::Extraction& e, Score* task_score) {
  std::vector<std::string> failures;
  const auto& md = e.metadata();
  for (const auto& [line, kv] : c.meta) {
    const auto& [key, want] = kv;
    std::string have;
    if (key == "title") have = md.title();
    else if (key == "type") have = TypeName(md.type());
    else if (key == "region") have = md.region();
    else if (key == "year") have = std::to_string(md.year());
    else if (key == "period") have = md.period();
    else if (key == "issuer") have = md.issuer();
    else if (key == "document_number") have = md.document_number();
    else if (key == "written_date") have = md.written_date();
    else if (key == "published_date") have = md.published_date();
    else if (key == "encoding") have = md.encoding();
    else have = "(unknown key)";
    if (have != want) failures.push_back(absl::StrCat(At(c, line), "meta ", key, ": want '", want, "', have '", have, "'"));
  }
  if (c.task_count >= 0 && e.tasks_size() != c.task_count) {
    failures.push_back(absl::StrCat(At(c, c.task_count_line), "want ", c.task_count, " tasks, have ", e.tasks_size()));
  }
  auto find = [&](const std::string& number) -> const v1::TaskDefinition* {
    for (const auto& t : e.tasks()) {
      if (t.number() == number) return &t;
    }
    return nullptr;
  };
  auto join = [](const auto& list) { return list.empty() ? std::string("-") : absl::StrJoin(list, ";"); };
  if (task_score != nullptr) {
    task_score->expected += static_cast<int>(c.tasks.size());
    task_score->extracted += c.tasks.empty() ? 0 : e.tasks_size();
  }
  for (const auto& g : c.tasks) {
    const auto* t = find(g.number);
    if (t == nullptr) {
      failures.push_back(absl::StrCat(At(c, g.line), "task ", g.number, " not extracted"));
      continue;
    }
    const size_t failures_before = failures.size();
    auto check = [&](const char* field, const std::string& want, const std::string& have) {
      if (want != have) {
        failures.push_back(absl::StrCat(At(c, g.line), "task ", g.number, " ", field, ": want '", want,
                                        "', have '", have, "'"));
      }
    };
    std::string section = t->section_path().empty() ? "-" : t->section_path(t->section_path_size() - 1);
    check("section", g.section, section);
    check("text", g.text, t->text());
    check("leaders", g.leaders, join(t->lead_leaders()));
    check("units", g.units, join(t->responsible_units()));
    check("cooperating", g.cooperating, join(t->cooperating_units()));
    check("deadline text", g.deadline_text, t->deadline().text());
    check("deadline", g.deadline_date,
          t->deadline().ongoing() ? "ongoing" : (t->deadline().date().empty() ? "-" : t->deadline().date()));
    check("indicator", g.indicator, t->indicator_id().empty() ? "-" : t->indicator_id());
    if (task_score != nullptr && failures.size() == failures_before) ++task_score->matched;
  }
  for (const auto& m : c.milestones) {
    const auto* t = find(m.task);
    bool ok = false;
    if (t) {
      for (const auto& have : t->milestones()) {
        if (SameDecimal(m.value, have.quantity().value()) && have.quantity().unit() == m.unit &&
            BoundName(have.bound()) == m.bound &&
            (m.upper.empty() || (have.has_upper_value() && SameDecimal(m.upper, have.upper_value())))) {
          ok = true;
        }
      }
    }
    if (!ok) {
      failures.push_back(absl::StrCat(At(c, m.line), "task ", m.task, " has no milestone ", m.value, " ",
                                      m.unit, " ", m.bound));
    }
  }
  return failures;
}

}  // namespace luoshi::extract
