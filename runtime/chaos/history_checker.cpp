#include "runtime/chaos/history_checker.hpp"

namespace cafka {

namespace {

constexpr size_t max_violation_lines = 20;

void note(history_checker::report& r, std::string line) {
  if (r.violations.size() < max_violation_lines)
    r.violations.push_back(std::move(line));
  else if (r.violations.size() == max_violation_lines)
    r.violations.push_back("... (more violations not listed)");
}

} // namespace

void history_checker::acked(const std::string& value, const topic_partition& tp,
                            log_offset offset) {
  acked_[value] = {tp, offset};
}

void history_checker::logged(const topic_partition& tp, log_offset offset,
                             const std::string& value) {
  logs_[tp][offset] = value;
}

void history_checker::processed(const std::string& value) {
  processed_.insert(value);
}

void history_checker::committed(const topic_partition& tp, log_offset offset) {
  commits_[tp].push_back(offset);
}

void history_checker::leader(const topic_partition& tp, leader_epoch epoch, node_id leader) {
  if (leader != no_node)
    leaders_[{tp, epoch}].insert(leader);
}

void history_checker::replica_log(const topic_partition& tp, node_id replica,
                                  std::string bytes) {
  replica_logs_[tp][replica] = std::move(bytes);
}

void history_checker::unrecovered(std::string what) {
  unrecovered_.push_back(std::move(what));
}

history_checker::report history_checker::check() const {
  report r;
  r.acked = acked_.size();
  std::map<std::string, size_t> seen;
  for (auto& [tp, log] : logs_) {
    r.logged += log.size();
    auto expect = log.empty() ? log_offset{0} : log.begin()->first;
    for (auto& [offset, value] : log) {
      if (offset != expect) {
        r.gaps += static_cast<size_t>(offset - expect);
        note(r, "I3 " + to_string(tp) + ": offsets " + to_string(expect) + " to "
                  + to_string(offset - 1) + " are missing");
      }
      expect = offset + 1;
      ++seen[value];
    }
  }
  for (auto& [value, n] : seen)
    if (n > 1) {
      ++r.duplicated;
      note(r, "I2 '" + value + "' is in the logs " + std::to_string(n) + " times");
    }
  for (auto& [value, where] : acked_) {
    auto l = logs_.find(where.first);
    bool found = false;
    if (l != logs_.end()) {
      auto i = l->second.find(where.second);
      found = i != l->second.end() && i->second == value;
    }
    if (!found) {
      ++r.lost;
      note(r, "I1 '" + value + "' was acknowledged at " + to_string(where.first) + "@"
                + to_string(where.second) + " but is not there");
    }
    if (processed_.count(value) == 0) {
      ++r.unprocessed;
      note(r, "I4 '" + value + "' was acknowledged but no group member processed it");
    }
  }
  for (auto& [tp, samples] : commits_)
    for (size_t i = 1; i < samples.size(); ++i)
      if (samples[i] < samples[i - 1]) {
        ++r.commits_backwards;
        note(r, "I4 committed offset of " + to_string(tp) + " went from "
                  + to_string(samples[i - 1]) + " back to " + to_string(samples[i]));
      }
  std::set<topic_partition> partitions;
  for (auto& [key, leaders] : leaders_) {
    if (!partitions.insert(key.first).second)
      ++r.leader_changes;
    if (leaders.size() > 1) {
      ++r.split_brain;
      std::string who;
      for (auto l : leaders)
        who += (who.empty() ? "" : ",") + to_string(l);
      note(r, "I7 " + to_string(key.first) + " had leaders " + who + " in epoch "
                + to_string(key.second));
    }
  }
  for (auto& [tp, logs] : replica_logs_) {
    const std::string* longest = nullptr;
    for (auto& kv : logs)
      if (longest == nullptr || kv.second.size() > longest->size())
        longest = &kv.second;
    for (auto& [replica, bytes] : logs)
      if (longest->compare(0, bytes.size(), bytes) != 0) {
        ++r.diverged;
        note(r, "I3 " + to_string(tp) + ": replica " + to_string(replica)
                  + "'s log is not a prefix of the longest replica log");
        break;
      }
  }
  r.unrecovered = unrecovered_.size();
  for (auto& what : unrecovered_)
    note(r, "recovery: " + what + " after every fault healed");
  return r;
}

} // namespace cafka
