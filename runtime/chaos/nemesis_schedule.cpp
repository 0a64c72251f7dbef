#include "runtime/chaos/nemesis_schedule.hpp"

#include <algorithm>
#include <random>
#include <sstream>

#include "runtime/base/errc.hpp"

namespace cafka {

caf::expected<std::vector<std::string>> parse_fault_kinds(const std::string& list) {
  std::vector<std::string> out;
  if (list == "all")
    return nemesis_kinds();
  std::stringstream ss{list};
  std::string kind;
  while (std::getline(ss, kind, ',')) {
    if (kind.empty())
      continue;
    auto& known = nemesis_kinds();
    if (std::find(known.begin(), known.end(), kind) == known.end())
    {
      std::string names;
      for (auto& k : known)
        names += (names.empty() ? "" : ", ") + k;
      return make_error(errc::invalid_request,
                        "unknown fault '" + kind + "' (known: " + names + ", or all)");
    }
    out.push_back(kind);
  }
  if (out.empty())
    return make_error(errc::invalid_request, "no fault kinds given");
  return out;
}

std::vector<nemesis_fault> make_schedule(uint64_t seed, int64_t duration_ms,
                                         const std::vector<std::string>& kinds,
                                         const std::vector<node_id>& nodes) {
  std::mt19937_64 rng{seed};
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<nemesis_fault> out;
  int64_t t = 1000;
  while (true) {
    nemesis_fault f;
    f.at_ms = t;
    f.kind = kinds[pick(kinds.size())];
    f.node = nodes[pick(nodes.size())];
    if (f.kind == "disk") {  // drawn only for disk, so other kinds keep their schedules
      static const char* variants[] = {"write", "fsync", "slow"};
      f.variant = variants[pick(3)];
    }
    f.duration_ms = 500 + static_cast<int64_t>(pick(2500));
    if (f.at_ms + f.duration_ms > duration_ms - 2000)
      break;
    t += f.duration_ms + 1000 + static_cast<int64_t>(pick(2000));
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<fault_rule> network_rules(const nemesis_fault& f, const std::set<node_id>& others) {
  fault_rule out;
  out.from = {f.node};
  out.to = others;
  if (f.kind == "partition")
    out.drop = 1.0;
  else if (f.kind == "drop")
    out.drop = 0.3;
  else if (f.kind == "duplicate")
    out.duplicate = 0.3;
  else if (f.kind == "delay")
    out.delay = std::chrono::milliseconds{20}, out.jitter = std::chrono::milliseconds{40};
  else
    return {};
  auto in = out;
  std::swap(in.from, in.to);
  return {out, in};
}

std::vector<nemesis_fault>
shrink_faults(std::vector<nemesis_fault> failing,
              const std::function<bool(const std::vector<nemesis_fault>&)>& fails) {
  bool progress = true;
  while (progress && !failing.empty()) {
    progress = false;
    for (size_t i = 0; i < failing.size(); ++i) {
      auto candidate = failing;
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i));
      if (fails(candidate)) {
        failing = std::move(candidate);
        progress = true;
        break;
      }
    }
  }
  return failing;
}

} // namespace cafka
