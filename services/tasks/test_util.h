// Test helper: builds an ImportPlanRequest from a division-plan seed such as
// data/seeds/004_bb9545a5710306fa.txt with a deliberately small line parser (numbered task lines,
// 牵头领导 / 主要责任单位 / 完成时限 lines, 一、… section headings). It stands in for the extraction
// library, which the task service must not depend on.
#ifndef LUOSHI_SERVICES_TASKS_TEST_UTIL_H_
#define LUOSHI_SERVICES_TASKS_TEST_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "luoshi/v1/tasks.pb.h"

namespace luoshi::tasks::testing {

// Path of a file under the source tree (LUOSHI_SOURCE_DIR set by CTest, else the working directory).
std::string SourcePath(const std::string& relative);

absl::StatusOr<v1::ImportPlanRequest> PlanFromSeed(const std::string& path);

// Seed 004: the 2023 division plan with 121 tasks.
inline constexpr char kSeed004[] = "data/seeds/004_bb9545a5710306fa.txt";

}  // namespace luoshi::tasks::testing

#endif  // LUOSHI_SERVICES_TASKS_TEST_UTIL_H_
