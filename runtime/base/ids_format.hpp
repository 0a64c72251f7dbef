// fmt (and so spdlog) formatting for the strong types of ids.hpp: a log line prints an id,
// offset or epoch as its number without unwrapping it. Header only; any thread.
#pragma once

#include "runtime/base/ids.hpp"

#include <fmt/format.h>

template <class Tag, class Rep>
struct fmt::formatter<cafka::strong_int<Tag, Rep>> : fmt::formatter<int64_t> {
  template <class FormatContext>
  auto format(cafka::strong_int<Tag, Rep> x, FormatContext& ctx) const {
    return fmt::formatter<int64_t>::format(static_cast<int64_t>(x.value), ctx);
  }
};
