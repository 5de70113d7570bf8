#!/usr/bin/python3
"""Parses a Prometheus text exposition (file given as the argument) with prometheus_client's parser.

Prints one JSON object: {"samples": [{"name", "labels", "value", "type"}, ...]}, where "type" is the
type its family declared (counter, gauge, histogram; "unknown" when no TYPE line came first). Exits
non-zero, with the parser's error on stderr, when the text is not valid exposition format.
Used by tests/integration/metrics_test.cc; needs Debian's python3-prometheus-client.
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    samples = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            value = s.value
            # JSON has no NaN: an unreadable gauge shows as null.
            samples.append({"name": s.name, "labels": dict(s.labels),
                            "value": None if math.isnan(value) else value, "type": family.type})
    json.dump({"samples": samples}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
