// The enum numbers of proto/luoshi/v1 that the figure logic needs, as plain constants, so that this
// directory stays pure (no runtime import of the generated code) and its unit tests run on plain objects.
// Each constant is typed with the generated enum member: if a number ever changes in the .proto,
// `tsc` fails here instead of a figure being shown wrongly.
import type { Bound, ChangeDirection, Measure, ObservationStatus } from "../gen/luoshi/v1/common_pb.js";
import type { Verdict } from "../gen/luoshi/v1/indicators_pb.js";

export const M_UNSPECIFIED: Measure.UNSPECIFIED = 0;
export const M_LEVEL: Measure.LEVEL = 1;
export const M_GROWTH_RATE: Measure.GROWTH_RATE = 2;
export const M_PERCENTAGE_POINTS: Measure.PERCENTAGE_POINTS = 3;
export const M_SHARE: Measure.SHARE = 4;
export const M_PROGRESS: Measure.PROGRESS = 5;
export const M_MULTIPLE: Measure.MULTIPLE = 6;
export const M_QUALITATIVE: Measure.QUALITATIVE = 7;
export const M_CHANGE: Measure.CHANGE = 8;

export const B_UNSPECIFIED: Bound.UNSPECIFIED = 0;
export const B_EXACT: Bound.EXACT = 1;
export const B_AT_LEAST: Bound.AT_LEAST = 2;
export const B_MORE_THAN: Bound.MORE_THAN = 3;
export const B_AT_MOST: Bound.AT_MOST = 4;
export const B_LESS_THAN: Bound.LESS_THAN = 5;
export const B_ABOUT: Bound.ABOUT = 6;
export const B_RANGE: Bound.RANGE = 7;

export const D_UNSPECIFIED: ChangeDirection.UNSPECIFIED = 0;
export const D_UP: ChangeDirection.UP = 1;
export const D_DOWN: ChangeDirection.DOWN = 2;
export const D_FLAT: ChangeDirection.FLAT = 3;

export const S_UNSPECIFIED: ObservationStatus.UNSPECIFIED = 0;
export const S_ACTUAL: ObservationStatus.ACTUAL = 1;
export const S_TARGET: ObservationStatus.TARGET = 2;
export const S_FORECAST: ObservationStatus.FORECAST = 3;

export const V_UNSPECIFIED: Verdict.UNSPECIFIED = 0;
export const V_MET: Verdict.MET = 1;
export const V_NOT_MET: Verdict.NOT_MET = 2;
export const V_PENDING: Verdict.PENDING = 3;
export const V_NOT_MEASURABLE: Verdict.NOT_MEASURABLE = 4;
