// The Raft simulation harness of the raft::fsm tests (see raft_sim.hpp).
#include "tests/runtime/raft_sim.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "runtime/base/errc.hpp"

namespace cafka::raft::test {

namespace {

void require_ok(const caf::error& err, const char* what) {
  if (err)
    FAIL(what << ": " << describe(err));
}

caf::error refuse(std::string why) {
  return make_error(errc::invalid_request, std::move(why));
}

} // namespace

// -- mem_persistence -------------------------------------------------------------------------

caf::error mem_persistence::load(persisted_state& out) {
  out = state_;
  return {};
}

caf::error mem_persistence::store_term_and_vote(raft_term term, node_id voted_for) {
  if (term < state_.term)
    return refuse("term went back");
  if (term == state_.term && state_.voted_for != no_node && voted_for != state_.voted_for)
    return refuse("a second vote in term " + to_string(term));
  state_.term = term;
  state_.voted_for = voted_for;
  return {};
}

raft_index mem_persistence::snapshot_index() const {
  return state_.snp ? state_.snp->desc.index : raft_index{0};
}

raft_index mem_persistence::last_index() const {
  return state_.entries.empty() ? snapshot_index() : state_.entries.back().index;
}

raft_term mem_persistence::last_term() const {
  if (!state_.entries.empty())
    return state_.entries.back().term;
  return state_.snp ? state_.snp->desc.term : raft_term{0};
}

std::optional<raft_term> mem_persistence::term_at(raft_index index) const {
  if (index == snapshot_index())
    return state_.snp ? state_.snp->desc.term : raft_term{0};
  if (index <= snapshot_index() || index > last_index())
    return std::nullopt;
  return state_.entries[static_cast<size_t>(index - snapshot_index() - 1)].term;
}

caf::error mem_persistence::append(const std::vector<log_entry>& entries) {
  auto next = last_index() + 1;
  auto term = last_term();
  for (auto& e : entries) {
    if (e.index != next || e.term < term)
      return refuse("append does not continue the log at " + to_string(next)
                    + " (got " + to_string(e.index) + ")");
    ++next;
    term = e.term;
  }
  state_.entries.insert(state_.entries.end(), entries.begin(), entries.end());
  return {};
}

caf::error mem_persistence::truncate(raft_index from) {
  if (from <= snapshot_index())
    return refuse("truncate into the snapshot");
  while (!state_.entries.empty() && state_.entries.back().index >= from)
    state_.entries.pop_back();
  return {};
}

caf::error mem_persistence::store_snapshot(const snapshot& snp) {
  if (snp.desc.index < snapshot_index())
    return refuse("snapshot went back");
  auto t = term_at(snp.desc.index);
  auto& xs = state_.entries;
  if (t && *t != snp.desc.term)
    xs.clear();  // a conflicting suffix is never kept
  xs.erase(xs.begin(), std::find_if(xs.begin(), xs.end(), [&](const log_entry& e) {
             return e.index > snp.desc.index;
           }));
  state_.snp = snp;
  return {};
}

// -- state machine encoding ------------------------------------------------------------------

std::string encode_applied(const applied_log& xs) {
  std::ostringstream out;
  for (auto& [index, cmd] : xs)
    out << index << ' ' << cmd.size() << ' ' << cmd;
  return out.str();
}

applied_log decode_applied(const std::string& bytes) {
  applied_log xs;
  std::istringstream in(bytes);
  int64_t index;
  size_t size;
  while (in >> index >> size) {
    in.get();  // the blank
    std::string cmd(size, '\0');
    in.read(cmd.data(), static_cast<std::streamsize>(size));
    xs.emplace_back(raft_index{index}, std::move(cmd));
  }
  return xs;
}

// -- sim_network -----------------------------------------------------------------------------

void sim_network::send(envelope env, int64_t now) {
  std::uniform_real_distribution<double> coin(0, 1);
  std::uniform_int_distribution<int32_t> delay(min_delay, std::max(min_delay, max_delay));
  if (drop_rate > 0 && coin(rng_) < drop_rate)
    return;
  if (duplicate_rate > 0 && coin(rng_) < duplicate_rate)
    queue_.emplace(std::make_pair(now + delay(rng_), seq_++), env);
  queue_.emplace(std::make_pair(now + delay(rng_), seq_++), std::move(env));
}

std::vector<envelope> sim_network::take_due(int64_t now) {
  std::vector<envelope> due;
  while (!queue_.empty() && queue_.begin()->first.first <= now) {
    auto node = queue_.extract(queue_.begin());
    if (!blocked(node.mapped().from, node.mapped().to))
      due.push_back(std::move(node.mapped()));
  }
  return due;
}

void sim_network::partition(const std::set<node_id>& a, const std::set<node_id>& b,
                            bool both_ways) {
  for (auto x : a)
    for (auto y : b) {
      if (x == y)
        continue;
      blocked_.insert({x, y});
      if (both_ways)
        blocked_.insert({y, x});
    }
}

void sim_network::isolate(node_id id, const std::vector<node_id>& members) {
  std::set<node_id> rest(members.begin(), members.end());
  rest.erase(id);
  partition({id}, rest, true);
}

// -- raft_sim --------------------------------------------------------------------------------

raft_sim::raft_sim(size_t members, uint64_t seed, fsm_config cfg) : cfg_(cfg), net_(seed) {
  cfg_.seed = seed;
  for (size_t i = 1; i <= members; ++i)
    ids_.push_back(node_id{static_cast<int32_t>(i)});
  for (auto id : ids_) {
    auto& m = members_[id];
    m.id = id;
    m.raft = std::make_unique<fsm>(id, ids_, persisted_state{}, cfg_);
  }
}

std::vector<node_id> raft_sim::ids() const {
  return ids_;
}

void raft_sim::tick() {
  ++now_;
  for (auto id : ids_) {
    auto& m = members_.at(id);
    if (!m.up)
      continue;
    m.raft->tick();
    drive(m);
  }
  deliver_all();
}

void raft_sim::run(int ticks) {
  for (int i = 0; i < ticks; ++i)
    tick();
}

bool raft_sim::run_until(const std::function<bool()>& pred, int max_ticks) {
  for (int i = 0; i < max_ticks; ++i) {
    if (pred())
      return true;
    tick();
  }
  return pred();
}

void raft_sim::deliver_all() {
  for (int round = 0;; ++round) {
    if (round > 100000)
      FAIL("message delivery does not quiesce");
    auto due = net_.take_due(now_);
    if (due.empty())
      return;
    for (auto& env : due) {
      auto& m = members_.at(env.to);
      if (!m.up)
        continue;
      ++m.received[env.msg.index()];
      ++delivered_;
      m.raft->step(env.from, env.msg);
      if (m.crash_pending) {
        crash(env.to);  // the output of this step is lost with the process
        continue;
      }
      drive(m);
    }
  }
}

std::vector<node_id> raft_sim::leaders() const {
  std::vector<node_id> out;
  for (auto& [id, m] : members_)
    if (m.up && m.raft->current_role() == role::leader)
      out.push_back(id);
  return out;
}

std::optional<node_id> raft_sim::leader() const {
  std::optional<node_id> best;
  for (auto id : leaders())
    if (!best || members_.at(id).raft->term() > members_.at(*best).raft->term())
      best = id;
  return best;
}

std::optional<node_id> raft_sim::stable_leader() const {
  auto ls = leaders();
  if (ls.size() != 1)
    return std::nullopt;
  auto l = ls.front();
  auto term = members_.at(l).raft->term();
  size_t following = 0;
  for (auto& [id, m] : members_)
    if (m.up && m.raft->term() == term && m.raft->leader() == l)
      ++following;
  if (following < ids_.size() / 2 + 1)
    return std::nullopt;
  return l;
}

caf::expected<raft_index> raft_sim::propose(node_id id, std::string command) {
  auto& m = members_.at(id);
  auto res = m.raft->propose(std::move(command));
  drive(m);
  deliver_all();
  return res;
}

std::optional<std::pair<raft_index, raft_term>>
raft_sim::propose_somewhere(std::string command, int max_ticks) {
  for (int i = 0; i <= max_ticks; ++i) {
    if (auto l = stable_leader()) {
      auto term = raft(*l).term();
      auto idx = propose(*l, command);
      if (idx)
        return std::make_pair(*idx, term);
    }
    tick();
  }
  return std::nullopt;
}

bool raft_sim::applied_on(node_id id, raft_index index) const {
  auto& m = members_.at(id);
  return m.up && m.applied_index >= index;
}

bool raft_sim::applied_everywhere(raft_index index) const {
  for (auto& [id, m] : members_)
    if (!m.up || m.applied_index < index)
      return false;
  return true;
}

void raft_sim::crash(node_id id) {
  auto& m = members_.at(id);
  m.up = false;
  m.crash_pending = false;
  m.raft.reset();
}

void raft_sim::restart(node_id id) {
  auto& m = members_.at(id);
  persisted_state ps;
  require_ok(m.disk->load(ps), "load");
  m.applied = ps.snp ? decode_applied(ps.snp->data) : applied_log{};
  m.applied_index = ps.snp ? ps.snp->desc.index : raft_index{0};
  m.snapshot_index = m.applied_index;
  m.last_commit = m.applied_index;
  auto cfg = cfg_;
  cfg.seed = cfg_.seed + static_cast<uint64_t>(now_);  // new timeouts in a new incarnation
  m.raft = std::make_unique<fsm>(id, ids_, std::move(ps), cfg);
  m.up = true;
  m.crash_pending = false;
  drive(m);
}

void raft_sim::drive(sim_member& m) {
  for (int round = 0; round < 4; ++round) {
    auto out = m.raft->get_output();
    if (out.empty())
      return;
    // Every member here is correct: a dropped message means a check refuses real traffic.
    if (!out.rejected.empty())
      FAIL("member " << m.id << " dropped a message of member " << out.rejected[0].from
                     << ": " << out.rejected[0].reason);
    persist(m, out);
    for (auto& env : out.messages) {
      if (env.from != m.id || env.to == m.id)
        FAIL("bad envelope from " << m.id);
      net_.send(std::move(env), now_);
    }
    apply(m, out);
    check_leader(m);
    if (compact_every > 0
        && m.applied_index - m.snapshot_index >= static_cast<int64_t>(compact_every)) {
      m.raft->compact(m.applied_index, encode_applied(m.applied));
      m.snapshot_index = m.applied_index;
    }
  }
}

void raft_sim::persist(sim_member& m, output& out) {
  auto& disk = *m.disk;
  if (out.term_and_vote)
    require_ok(disk.store_term_and_vote(out.term_and_vote->first, out.term_and_vote->second),
               "store_term_and_vote");
  if (out.truncate_from) {
    if (*out.truncate_from <= m.last_commit)
      FAIL("member " << m.id << " truncates committed entry " << *out.truncate_from);
    require_ok(disk.truncate(*out.truncate_from), "truncate");
  }
  if (out.snapshot_to_persist)
    require_ok(disk.store_snapshot(*out.snapshot_to_persist), "store_snapshot");
  if (!out.log_entries.empty()) {
    // Log matching, incrementally: an (index, term) pair names one entry with one
    // predecessor term, on every member; by induction equal pairs mean equal prefixes.
    auto prev = disk.last_term();
    for (auto& e : out.log_entries) {
      entry_fingerprint fp{e.kind, e.data, prev};
      auto [it, fresh] = entries_.emplace(std::make_pair(e.index, e.term), fp);
      if (!fresh
          && (it->second.kind != fp.kind || it->second.data != fp.data
              || it->second.prev_term != fp.prev_term))
        FAIL("log matching: two different entries at index " << e.index << " term "
                                                             << e.term);
      prev = e.term;
    }
    require_ok(disk.append(out.log_entries), "append");
  }
  // The fsm's log is what is on disk now.
  auto& r = *m.raft;
  if (disk.last_index() != r.last_index() || disk.last_term() != r.last_term()
      || disk.snapshot_index() != r.log().snapshot_index())
    FAIL("member " << m.id << ": fsm log (" << r.log().snapshot_index() << ", "
                   << r.last_index() << "] differs from the persisted log ("
                   << disk.snapshot_index() << ", " << disk.last_index() << "]");
  if (disk.state().term != r.term())
    FAIL("member " << m.id << ": term not persisted");
}

void raft_sim::apply(sim_member& m, output& out) {
  max_term_seen_ = std::max(max_term_seen_, m.raft->term());
  if (out.snapshot_to_apply) {
    auto& snp = *out.snapshot_to_apply;
    if (snp.desc.index <= m.applied_index)
      FAIL("member " << m.id << " got an old snapshot to apply");
    auto xs = decode_applied(snp.data);
    // State-machine safety: what we applied is a prefix of the snapshot's state.
    if (xs.size() < m.applied.size() || !std::equal(m.applied.begin(), m.applied.end(), xs.begin()))
      FAIL("member " << m.id << ": snapshot does not extend the applied state");
    for (auto& [index, cmd] : xs) {
      auto c = committed_.find(index);
      if (c != committed_.end() && c->second.entry.data != cmd)
        FAIL("snapshot holds another command at " << index);
    }
    m.applied = std::move(xs);
    m.applied_index = snp.desc.index;
    m.snapshot_index = snp.desc.index;
  }
  for (auto& e : out.committed) {
    if (e.index != m.applied_index + 1)
      FAIL("member " << m.id << " applies " << e.index << " after "
                     << m.applied_index);
    auto [it, fresh] = committed_.emplace(e.index,
                                          committed_entry{e, raft_term{max_term_seen_}});
    if (!fresh
        && (it->second.entry.term != e.term || it->second.entry.data != e.data
            || it->second.entry.kind != e.kind))
      FAIL("state-machine safety: member " << m.id << " applies another entry at "
                                           << e.index);
    m.applied_index = e.index;
    if (e.kind == entry_kind::command)
      m.applied.emplace_back(e.index, e.data);
  }
  auto commit = m.raft->commit_index();
  if (commit < m.last_commit)
    FAIL("member " << m.id << ": commit index went back");
  m.last_commit = commit;
  if (m.applied_index != m.raft->applied_index())
    FAIL("member " << m.id << ": applied index mismatch");
}

void raft_sim::check_leader(sim_member& m) {
  auto& r = *m.raft;
  if (r.current_role() != role::leader)
    return;
  auto [it, fresh] = leader_of_term_.emplace(r.term(), m.id);
  if (!fresh && it->second != m.id)
    FAIL("election safety: members " << it->second << " and " << m.id
                                     << " both lead term " << r.term());
  if (!fresh)
    return;
  ++leader_changes_;
  // Leader completeness: entries known committed before this term began are in its log.
  auto& log = r.log();
  for (auto& [index, c] : committed_) {
    if (c.seen_at >= r.term())
      continue;
    if (index > log.last_index()
        || (index > log.snapshot_index() && log.term_at(index) != c.entry.term))
      FAIL("leader completeness: leader " << m.id << " of term " << r.term()
                                          << " lacks committed entry " << index);
  }
}

void raft_sim::check_logs() const {
  std::vector<const sim_member*> ups;
  for (auto& [id, m] : members_) {
    if (!m.up)
      continue;
    ups.push_back(&m);
    auto& log = m.raft->log();
    auto& st = m.disk->state();
    if (st.entries.size() != log.size())
      FAIL("member " << id << ": fsm log size differs from the persisted one");
    for (auto& e : st.entries) {
      auto& x = log.at(e.index);
      if (x.term != e.term || x.data != e.data || x.kind != e.kind)
        FAIL("member " << id << ": fsm log differs from disk at " << e.index);
    }
  }
  for (size_t i = 0; i < ups.size(); ++i)
    for (size_t j = i + 1; j < ups.size(); ++j) {
      auto& a = ups[i]->raft->log();
      auto& b = ups[j]->raft->log();
      auto lo = std::max(a.first_index(), b.first_index());
      auto hi = std::min(a.last_index(), b.last_index());
      bool matched = false;  // scanning down: below a common (index, term) all must agree
      for (auto k = hi; k >= lo; k = k - 1) {
        auto& x = a.at(k);
        auto& y = b.at(k);
        if (x.term == y.term)
          matched = true;
        if (matched && (x.term != y.term || x.data != y.data || x.kind != y.kind))
          FAIL("log matching: members " << ups[i]->id << " and " << ups[j]->id
                                        << " differ at " << k);
      }
    }
}

void raft_sim::check_converged() const {
  check_logs();
  const sim_member* first = nullptr;
  for (auto& [id, m] : members_) {
    if (!m.up)
      FAIL("member " << id << " is down");
    if (first == nullptr) {
      first = &m;
      continue;
    }
    if (m.applied_index != first->applied_index || m.applied != first->applied)
      FAIL("members " << first->id << " and " << id << " applied different "
                      << "sequences (" << first->applied_index << " vs "
                      << m.applied_index << ")");
    if (m.raft->last_index() != first->raft->last_index()
        || m.raft->last_term() != first->raft->last_term())
      FAIL("members " << first->id << " and " << id << " hold different logs");
  }
}

} // namespace cafka::raft::test
