#include "actors/node/refusal_log.hpp"

namespace cafka {

refusal_log::refusal_log(std::chrono::milliseconds window) : window_(window) {
}

std::optional<std::string> refusal_log::count(const std::string& kind, const std::string& text,
                                              clock::time_point now) {
  auto [i, fresh] = kinds_.try_emplace(kind);
  auto& e = i->second;
  ++e.total;
  ++e.since_report;
  if (!fresh && now - e.last_report < window_)
    return std::nullopt;
  auto n = e.since_report;
  e.since_report = 0;
  e.last_report = now;
  return text + " (" + std::to_string(n) + " refused since the last report)";
}

uint64_t refusal_log::total(const std::string& kind) const {
  auto i = kinds_.find(kind);
  return i == kinds_.end() ? 0 : i->second.total;
}

} // namespace cafka
