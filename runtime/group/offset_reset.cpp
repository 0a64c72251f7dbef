#include "runtime/group/offset_reset.hpp"

#include <algorithm>
#include <cctype>

#include "runtime/base/errc.hpp"

namespace cafka::group {

log_offset reset_target(const reset_spec& spec, const partition_position& pos) {
  int64_t target = 0;
  switch (spec.kind) {
    case reset_kind::to_earliest:
      target = pos.log_start.value;
      break;
    case reset_kind::to_latest:
      target = pos.log_end.value;
      break;
    case reset_kind::to_offset:
      target = spec.value;
      break;
    case reset_kind::shift_by: {
      auto base = pos.committed ? pos.committed->value : pos.log_end.value;
      // Saturating: a shift of INT64_MIN or MAX still lands on a bound.
      if (spec.value > 0 && base > INT64_MAX - spec.value)
        target = INT64_MAX;
      else if (spec.value < 0 && base < INT64_MIN - spec.value)
        target = INT64_MIN;
      else
        target = base + spec.value;
      break;
    }
    case reset_kind::to_datetime:
      target = pos.at_time ? pos.at_time->value : pos.log_end.value;
      break;
  }
  auto lo = pos.log_start.value;
  auto hi = std::max(lo, pos.log_end.value);
  return log_offset{std::clamp(target, lo, hi)};
}

namespace {

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  auto era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = y - era * 400;
  auto mp = (m + 9) % 12;
  auto doy = (153 * mp + 2) / 5 + d - 1;
  auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t days_in_month(int64_t y, int64_t m) {
  static const int64_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Reads exactly n digits at text[i], advancing i; -1 if they are not there.
int64_t digits(const std::string& text, size_t& i, size_t n) {
  if (i + n > text.size())
    return -1;
  int64_t v = 0;
  for (size_t k = 0; k < n; ++k) {
    auto c = text[i + k];
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return -1;
    v = v * 10 + (c - '0');
  }
  i += n;
  return v;
}

bool expect(const std::string& text, size_t& i, char c) {
  if (i >= text.size() || text[i] != c)
    return false;
  ++i;
  return true;
}

} // namespace

caf::expected<int64_t> parse_iso8601_ms(const std::string& text) {
  auto bad = [&] {
    return make_error(errc::invalid_request,
                      "'" + text + "' is not a time of the form YYYY-MM-DDTHH:MM:SS[.sss]"
                      "[Z|+HH:MM|-HH:MM]");
  };
  size_t i = 0;
  auto y = digits(text, i, 4);
  if (y < 0 || !expect(text, i, '-'))
    return bad();
  auto mo = digits(text, i, 2);
  if (mo < 1 || mo > 12 || !expect(text, i, '-'))
    return bad();
  auto d = digits(text, i, 2);
  if (d < 1 || d > days_in_month(y, mo) || !expect(text, i, 'T'))
    return bad();
  auto h = digits(text, i, 2);
  if (h < 0 || h > 23 || !expect(text, i, ':'))
    return bad();
  auto mi = digits(text, i, 2);
  if (mi < 0 || mi > 59 || !expect(text, i, ':'))
    return bad();
  auto s = digits(text, i, 2);
  if (s < 0 || s > 59)
    return bad();
  int64_t ms = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t n = 0;
    int64_t frac = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n < 3)
        frac = frac * 10 + (text[i] - '0');
      ++n;
      ++i;
    }
    if (n == 0)
      return bad();
    for (auto k = n; k < 3; ++k)
      frac *= 10;
    ms = frac;
  }
  int64_t offset_min = 0;
  if (i < text.size()) {
    auto c = text[i++];
    if (c == 'Z') {
      // UTC
    } else if (c == '+' || c == '-') {
      auto oh = digits(text, i, 2);
      if (i < text.size() && text[i] == ':')
        ++i;
      auto om = digits(text, i, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59)
        return bad();
      offset_min = (c == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
      return bad();
    }
  }
  if (i != text.size())
    return bad();
  auto secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  return secs * 1000 + ms;
}

} // namespace cafka::group
