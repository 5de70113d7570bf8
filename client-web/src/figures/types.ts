// Structural views of the generated messages: the figure logic reads only these fields, so it accepts
// the generated messages as they are and plain objects in unit tests.

export interface DecimalLike {
  unscaled: bigint;
  scale: number;
}

export interface QuantityLike {
  value?: DecimalLike;
  unit: string;
}

export interface SpanLike {
  begin: number;
  end: number;
}

export interface ProvenanceLike {
  documentId: string;
  sentenceIndex: number;
  sentence: string;
  sentenceSpan?: SpanLike;
  span?: SpanLike;
  sectionPath?: string[];
}

export interface ObservationLike {
  indicatorId: string;
  surfaceName: string;
  region: string;
  period: string;
  measure: number;
  value?: QuantityLike;
  upperValue?: DecimalLike;
  bound: number;
  changeDirection: number;
  comparisonBase: string;
  status: number;
  qualitativeText: string;
  provenance?: ProvenanceLike;
}
