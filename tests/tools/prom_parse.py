#!/usr/bin/env python3
"""Parses Prometheus text exposition from stdin with Debian's python3-prometheus-client and
prints every sample as one JSON line: {"name": ..., "labels": {...}, "value": ...}, then a
last line {"families": N}. Exits 1 with the parser's error on stderr if the text does not
parse. Test tool: tests/integration/observability_test.cpp reads its output."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = 0
    out = []
    try:
        for family in text_string_to_metric_families(text):
            families += 1
            for s in family.samples:
                v = s.value
                if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                    v = str(v)
                out.append(json.dumps({"name": s.name, "labels": s.labels, "value": v,
                                       "type": family.type}))
    except Exception as e:  # the parser raises ValueError and others on bad input
        print("prometheus_client could not parse the text: %r" % (e,), file=sys.stderr)
        return 1
    for line in out:
        print(line)
    print(json.dumps({"families": families}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
