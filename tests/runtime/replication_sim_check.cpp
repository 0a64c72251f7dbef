// The checker of replication_sim.hpp. After every step of a replica (check):
//  I7  at most one replica leads a leader epoch, and only the one the controller named;
//  HW  a replica's high watermark never decreases (within an incarnation) and never passes
//      its log end; a leader's is at most the real log end of every member of its ISR;
//  I3  the fsm's log end and start are the log's; every replica's batches below its high
//      watermark are one lineage (`committed_`, the batches below any high watermark), and
//      no replica truncates a batch of it (offsets are contiguous by sim_log's contract);
//  I1  an acks=all acknowledgement names a batch of the lineage, and a replica that becomes
//      leader of the newest epoch holds the whole lineage (so failover to an ISR member loses
//      no acked write).
// Every 100 ms and at the end (sweep, check_final):
//  I2  an idempotent producer's batch (its tag, whatever epoch and sequence it was sent
//      under) is in a log at most once and acknowledged at one offset;
//      the fsm's epoch history and idempotence table describe its log.
// At the end the logs are equal and hold every acknowledged batch once.
#include "tests/runtime/replication_sim.hpp"

#include <algorithm>

namespace cafka::replica_test {

namespace {

batch_header header_of(const stored_batch& b) {
  batch_header h;
  read_batch_header(b.bytes.data(), b.bytes.size(), h);
  return h;
}

} // namespace

void replication_sim::violation(const std::string& what) {
  if (failure_.empty())
    failure_ = "at " + std::to_string(now_) + " ms: " + what;
}

void replication_sim::check(node& n) {
  if (!failure_.empty() || !n.host)
    return;
  auto& fsm = n.host->fsm();
  auto& log = n.disk->log;
  auto who = "node " + std::to_string(n.id);
  if (fsm.log_end() != log.end() || fsm.log_start() != log.start())
    return violation(who + ": the fsm's log [" + to_string(fsm.log_start()) + ", "
                     + to_string(fsm.log_end()) + ") is not the log's [" + to_string(log.start())
                     + ", " + to_string(log.end()) + ")");
  auto hw = fsm.high_watermark();
  if (hw > log.end())
    return violation(who + ": high watermark " + to_string(hw) + " past the log end "
                     + to_string(log.end()));
  if (hw < n.last_hw)
    return violation(who + ": high watermark went back from " + to_string(n.last_hw) + " to "
                     + to_string(hw));
  n.last_hw = hw;
  bool leading = fsm.leading();
  if (leading) {
    auto epoch = fsm.partition().epoch;
    auto named = epoch_leader_.find(epoch);
    if (named == epoch_leader_.end() || named->second != n.id)
      return violation(who + " leads epoch " + to_string(epoch)
                       + ", which the controller did not give it");
    auto [led, fresh] = led_.emplace(epoch, n.id);
    if (!fresh && led->second != n.id)
      return violation("I7: nodes " + std::to_string(led->second) + " and "
                       + std::to_string(n.id) + " both led epoch " + to_string(epoch));
    for (auto r : fsm.partition().isr) {
      auto member_end = nodes_.at(address_of(r)).disk->log.end();
      if (member_end < hw)
        return violation(who + " (leader): high watermark " + to_string(hw)
                         + " passes the log end " + to_string(member_end) + " of ISR member "
                         + to_string(r));
    }
    if (!n.was_leading && epoch == led_.rbegin()->first) {
      // I1: a leader of the newest epoch holds every committed batch. (A replica that wakes
      // up leading an older epoch may lack newer ones; its high watermark cannot reach them:
      // check_lineage.)
      auto& bs = log.batches();
      for (size_t i = 0; i < committed_.size(); ++i)
        if (i >= bs.size() || bs[i].bytes != committed_[i].bytes)
          return violation("I1: " + who + " leads epoch " + to_string(epoch)
                           + " without the committed batch at offset "
                           + to_string(committed_[i].base) + " (log end " + to_string(log.end())
                           + ", committed up to " + to_string(committed_.back().next) + ")");
    }
  }
  n.was_leading = leading;
  check_lineage(n);
}

void replication_sim::check_lineage(node& n) {
  auto& bs = n.disk->log.batches();
  auto who = "node " + std::to_string(n.id);
  if (bs.size() < n.verified)
    return violation("I3: " + who + " truncated committed batches: its log ends at "
                     + to_string(n.disk->log.end()) + ", below offset "
                     + to_string(committed_[n.verified - 1].next));
  auto hw = n.host->fsm().high_watermark();
  size_t i = n.verified;
  for (; i < bs.size() && bs[i].next <= hw; ++i) {
    if (i < committed_.size()) {
      if (bs[i].base != committed_[i].base || bs[i].bytes != committed_[i].bytes)
        return violation("I3: " + who + "'s batch at offset " + to_string(bs[i].base)
                         + " below its high watermark " + to_string(hw)
                         + " differs from the committed one");
    } else {
      committed_.push_back(bs[i]);
    }
  }
  n.verified = i;
}

// The tag of a batch made by make_batch (its records' key).
std::string replication_sim::tag_of(const stored_batch& b) {
  std::vector<record> records;
  if (decode_records(b.bytes, records) || records.empty() || !records[0].has_key)
    return {};
  return records[0].key;
}

void replication_sim::check_acked(const std::string& tag, const produce_response& resp) {
  auto [it, fresh] = acked_.emplace(tag, resp.base_offset);
  if (!fresh && it->second != resp.base_offset)
    return violation("I2: batch " + tag + " acknowledged at offsets " + to_string(it->second)
                     + " and " + to_string(resp.base_offset));
  auto c = std::find_if(committed_.begin(), committed_.end(),
                        [&](const stored_batch& x) { return x.base == resp.base_offset; });
  if (c == committed_.end())
    return violation("I1: batch " + tag + " acknowledged at offset "
                     + to_string(resp.base_offset) + ", which is not committed");
  if (tag_of(*c) != tag)
    violation("I1: batch " + tag + " acknowledged at offset " + to_string(resp.base_offset)
              + ", where batch " + tag_of(*c) + " is committed");
}

void replication_sim::sweep() {
  for (auto& [id, n] : nodes_) {
    if (!failure_.empty() || !n.host)
      return;
    auto who = "node " + std::to_string(id);
    auto& bs = n.disk->log.batches();
    std::set<std::string> seen;
    auto& epochs = n.host->fsm().epochs().entries();
    for (auto& b : bs) {
      auto h = header_of(b);
      if (h.producer_id != no_producer_id && !seen.insert(tag_of(b)).second)
        return violation("I2: " + who + "'s log holds batch " + tag_of(b) + " twice");
      auto e = std::find_if(epochs.rbegin(), epochs.rend(),
                            [&](const epoch_entry& x) { return x.start_offset <= b.base; });
      if (e == epochs.rend() || e->epoch != leader_epoch{h.partition_leader_epoch})
        return violation(who + ": the epoch history does not name the epoch "
                         + std::to_string(h.partition_leader_epoch) + " of the batch at "
                         + to_string(b.base));
    }
    // The table follows the log: each producer it knows has the log's last batch and epoch
    // (after a truncation it may remember fewer batches, or forget a producer: see
    // producer_state::truncate).
    producer_state replayed;
    replayed.start_at(n.disk->log.start());
    for (auto& b : bs)
      (void) replayed.replay(b.bytes);
    auto& table = n.host->fsm().producers();
    if (table.next_offset() != replayed.next_offset())
      return violation(who + ": the idempotence table ends at " + to_string(table.next_offset())
                       + ", the log at " + to_string(replayed.next_offset()));
    for (auto& [pid, e] : table.entries()) {
      auto r = replayed.find(pid);
      if (r == nullptr || r->epoch != e.epoch || !(r->last() == e.last()))
        return violation(who + ": the idempotence table's last batch of producer "
                         + to_string(pid) + " is not the log's");
    }
  }
}

void replication_sim::check_final() {
  sweep();
  if (!failure_.empty())
    return;
  auto& first = nodes_.at(1).disk->log.batches();
  for (auto& [id, n] : nodes_) {
    auto& bs = n.disk->log.batches();
    if (bs.size() != first.size())
      return violation("the logs differ in length at the end");
    for (size_t i = 0; i < bs.size(); ++i)
      if (bs[i].bytes != first[i].bytes)
        return violation("the logs differ at offset " + to_string(bs[i].base) + " at the end");
  }
  for (auto& [tag, offset] : acked_) {
    auto b = std::find_if(first.begin(), first.end(),
                          [&](const stored_batch& x) { return x.base == offset; });
    if (b == first.end() || tag_of(*b) != tag)
      return violation("I1: batch " + tag + " acknowledged at " + to_string(offset)
                       + " is not there in the final log");
  }
}

} // namespace cafka::replica_test
