// Judging a target against its actual: the verdict rules of CompareTargets (docs/indicators.md).
//
// Both figures are first put in *signed* form: a growth rate, pp change or change written with
// 下降/减少 becomes negative, and a bound on such a figure flips (下降3%以上, "a fall of at least 3%", is
// "growth ≤ -3%"). The actual is converted exactly into the target's unit (万/亿/万亿 prefixes). Then:
//
//   bound AT_LEAST / MORE_THAN / AT_MOST / LESS_THAN / RANGE: the bound alone decides.
//   bound EXACT, ABOUT or unspecified: the indicator's desired direction decides —
//     UP: met when actual ≥ target;  DOWN: met when actual ≤ target (a PM2.5 target is met by staying
//     under it);  NEUTRAL or unknown: EXACT needs equality, ABOUT needs |actual − target| ≤ |target|/10.
//
// The margin is actual − target in the target's unit (percentage points when the target is in %); for a
// range it is measured from the nearer end that was crossed, or from the lower end when inside.
#ifndef LUOSHI_SERVICES_INDICATORS_COMPARE_H_
#define LUOSHI_SERVICES_INDICATORS_COMPARE_H_

#include "luoshi/v1/indicators.pb.h"

namespace luoshi::indicators {

// `actual` is nullptr when no actual has arrived yet (verdict pending). `indicator` is the catalog entry
// of the target's indicator, nullptr when outside the catalog (treated as neutral direction, the written
// unit only).
v1::TargetComparison JudgeTarget(const v1::Observation& target, const v1::Observation* actual,
                                 const v1::Indicator* indicator);

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_COMPARE_H_
