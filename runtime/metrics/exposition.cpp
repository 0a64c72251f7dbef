// The text exposition format (see exposition.hpp): escaping, value formatting and rendering.
#include "runtime/metrics/exposition.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cafka::metrics {

namespace {

// Appends `s` with backslash and line feed escaped, and double quote when `quote`.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

// Appends {a="x",b="y"} for the family's labels, plus le="bound" when `le` is non-null;
// nothing when there are no labels at all.
void append_labels(std::string& out, const family_snapshot& f, const series_snapshot& s,
                   const std::string* le) {
  if (f.label_names.empty() && le == nullptr)
    return;
  out += '{';
  for (size_t i = 0; i < f.label_names.size(); ++i) {
    if (i > 0)
      out += ',';
    out += f.label_names[i];
    out += "=\"";
    append_escaped(out, s.label_values[i], true);
    out += '"';
  }
  if (le != nullptr) {
    if (!f.label_names.empty())
      out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, const family_snapshot& f,
                   const series_snapshot& s, const std::string* le, std::string_view value) {
  out += name;
  append_labels(out, f, s, le);
  out += ' ';
  out += value;
  out += '\n';
}

void append_histogram(std::string& out, const family_snapshot& f, const series_snapshot& s) {
  auto bucket = f.name + "_bucket";
  for (size_t i = 0; i < s.cumulative.size(); ++i) {
    auto le = i < f.bounds.size() ? format_value(f.bounds[i]) : std::string{"+Inf"};
    append_sample(out, bucket, f, s, &le, std::to_string(s.cumulative[i]));
  }
  auto count = s.cumulative.empty() ? uint64_t{0} : s.cumulative.back();
  append_sample(out, f.name + "_sum", f, s, nullptr, format_value(s.sum));
  append_sample(out, f.name + "_count", f, s, nullptr, std::to_string(count));
}

} // namespace

std::string format_value(double x) {
  if (std::isnan(x))
    return "NaN";
  if (std::isinf(x))
    return x > 0 ? "+Inf" : "-Inf";
  if (x == 0)
    return "0"; // also -0
  if (std::fabs(x) < 9007199254740992.0 && x == std::trunc(x))
    return fmt::format("{:.0f}", x);
  return fmt::format("{}", x);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_escaped(out, value, true);
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  append_escaped(out, help, false);
  return out;
}

std::string render(std::vector<family_snapshot> families) {
  std::sort(families.begin(), families.end(),
            [](const auto& x, const auto& y) { return x.name < y.name; });
  std::string out;
  for (const auto& f : families) {
    if (!f.help.empty())
      out += fmt::format("# HELP {} {}\n", f.name, escape_help(f.help));
    out += fmt::format("# TYPE {} {}\n", f.name, to_string(f.kind));
    for (const auto& s : f.series) {
      if (f.kind == metric_kind::histogram)
        append_histogram(out, f, s);
      else
        append_sample(out, f.name, f, s, nullptr, format_value(s.value));
    }
  }
  return out;
}

std::string render(const metric_registry& registry) {
  return render(registry.snapshot());
}

} // namespace cafka::metrics
