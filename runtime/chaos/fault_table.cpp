#include "runtime/chaos/fault_table.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace cafka {

namespace {

std::string nodes(const std::set<node_id>& xs) {
  if (xs.empty())
    return "*";
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ",") + to_string(x);
  return out;
}

} // namespace

const char* to_string(disk_fault k) {
  switch (k) {
    case disk_fault::write_error: return "write";
    case disk_fault::fsync_error: return "fsync";
    case disk_fault::slow: return "slow";
    case disk_fault::none: break;
  }
  return nullptr;
}

std::string describe(const fault_rule& r) {
  char buf[96];
  if (r.is_disk()) {
    std::string out = "disk ";
    out += to_string(r.disk);
    if (r.disk == disk_fault::slow) {
      std::snprintf(buf, sizeof(buf), " %lld ms (+%lld jitter)",
                    static_cast<long long>(r.delay.count()),
                    static_cast<long long>(r.jitter.count()));
      out += buf;
    } else {
      std::snprintf(buf, sizeof(buf), " errors %.2f", r.drop);
      out += buf;
    }
    return out;
  }
  auto out = nodes(r.from) + " -> " + nodes(r.to);
  if (r.drop > 0) {
    std::snprintf(buf, sizeof(buf), " drop %.2f", r.drop);
    out += buf;
  }
  if (r.duplicate > 0) {
    std::snprintf(buf, sizeof(buf), " duplicate %.2f", r.duplicate);
    out += buf;
  }
  if (r.delay.count() > 0 || r.jitter.count() > 0) {
    std::snprintf(buf, sizeof(buf), " delay %lld ms (+%lld jitter)",
                  static_cast<long long>(r.delay.count()),
                  static_cast<long long>(r.jitter.count()));
    out += buf;
  }
  return out;
}

fault_table::fault_table(uint64_t seed) : rng_(seed) {
  // nop
}

uint64_t fault_table::add(fault_rule rule) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = next_id_++;
  rules_.emplace_back(id, std::move(rule));
  update_flags();
  return id;
}

void fault_table::remove(uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  rules_.erase(std::remove_if(rules_.begin(), rules_.end(),
                              [id](const auto& r) { return r.first == id; }),
               rules_.end());
  update_flags();
}

void fault_table::update_flags() {
  empty_ = true;
  bool disk_empty = true;
  for (auto& kv : rules_) {
    if (kv.second.is_disk())
      disk_empty = false;
    else
      empty_ = false;
  }
  disk_empty_.store(disk_empty, std::memory_order_relaxed);
}

void fault_table::partition(const std::set<node_id>& a, const std::set<node_id>& b,
                            bool one_way) {
  fault_rule r;
  r.from = a;
  r.to = b;
  r.drop = 1.0;
  add(r);
  if (!one_way) {
    std::swap(r.from, r.to);
    add(std::move(r));
  }
}

void fault_table::heal() {
  std::lock_guard<std::mutex> guard{mtx_};
  rules_.clear();
  update_flags();
}

void fault_table::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> guard{mtx_};
  rng_.seed(seed);
}

bool fault_table::empty() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return empty_;
}

fault_decision fault_table::decide(node_id from, node_id to) {
  fault_decision d;
  std::lock_guard<std::mutex> guard{mtx_};
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  for (auto& kv : rules_) {
    auto& r = kv.second;
    if (r.is_disk() || !r.matches(from, to))
      continue;
    if (r.drop >= 1.0 || (r.drop > 0.0 && coin(rng_) < r.drop))
      d.drop = true;
    if (r.duplicate > 0.0 && coin(rng_) < r.duplicate)
      d.copies = 2;
    d.delay += r.delay;
    if (r.jitter.count() > 0) {
      std::uniform_int_distribution<int64_t> j{0, r.jitter.count()};
      d.delay += std::chrono::milliseconds{j(rng_)};
    }
  }
  if (d.drop)
    d.copies = 0;
  return d;
}

std::vector<std::pair<uint64_t, fault_rule>> fault_table::rules() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return rules_;
}

disk_decision fault_table::decide_disk(disk_op op, const std::string& path) {
  disk_decision d;
  // Only segment data files: checkpoints, snapshots and directories keep working, so an
  // injected fault tests the log's own error paths (see fault_table.hpp).
  auto segment = path.size() > 4 && path.compare(path.size() - 4, 4, ".log") == 0;
  if (disk_empty() || !segment || path.find("__cluster_metadata") != std::string::npos)
    return d;
  std::lock_guard<std::mutex> guard{mtx_};
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  for (auto& kv : rules_) {
    auto& r = kv.second;
    switch (r.disk) {
      case disk_fault::none:
        break;
      case disk_fault::slow:
        d.delay += r.delay;
        if (r.jitter.count() > 0) {
          std::uniform_int_distribution<int64_t> j{0, r.jitter.count()};
          d.delay += std::chrono::milliseconds{j(rng_)};
        }
        break;
      case disk_fault::write_error:
      case disk_fault::fsync_error: {
        auto wanted = r.disk == disk_fault::write_error ? disk_op::write : disk_op::fsync;
        if (op == wanted && (r.drop >= 1.0 || (r.drop > 0.0 && coin(rng_) < r.drop)))
          d.error = op == disk_op::write ? ENOSPC : EIO;
        break;
      }
    }
  }
  return d;
}

bool fault_table::exchange_lost(node_id from, node_id to) {
  if (empty())
    return false;
  return decide(from, to).drop || decide(to, from).drop;
}

} // namespace cafka
