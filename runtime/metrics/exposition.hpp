// The Prometheus text exposition format, version 0.0.4: what GET /metrics answers. Pure
// functions of a registry snapshot; any thread (the HTTP side calls render per scrape).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/metrics/metric_registry.hpp"

namespace cafka::metrics {

// The Content-Type of render's text.
inline constexpr const char* exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

// A sample value as Prometheus (Go's ParseFloat) reads it: "+Inf", "-Inf", "NaN", whole
// numbers below 2^53 without a fraction ("3", not "3.0"), others in the shortest form that
// reads back as the same double ("0.25", "1e+21").
std::string format_value(double x);

// A label value between its double quotes: backslash, double quote and line feed escaped as
// \\, \" and \n.
std::string escape_label_value(std::string_view value);

// A HELP line's text: backslash and line feed escaped as \\ and \n.
std::string escape_help(std::string_view help);

// The families as text: ordered by name, each a "# HELP" line (when it has help), a "# TYPE"
// line and its samples in the order of the snapshot's series; a histogram series as
// name_bucket lines (cumulative, le last among its labels, the last le="+Inf"), then
// name_sum and name_count (equal to the +Inf bucket). Every line ends in '\n'.
// Requires: the snapshot's invariants (see family_snapshot).
std::string render(std::vector<family_snapshot> families);

// render(registry.snapshot()).
std::string render(const metric_registry& registry);

} // namespace cafka::metrics
