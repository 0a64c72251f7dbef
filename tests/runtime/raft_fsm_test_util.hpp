// Helpers of the raft::fsm unit tests (raft_fsm_test.cpp, raft_fsm_input_test.cpp): log
// entries, persisted logs, the messages of an output, and an election driven by hand.
// Test code; one thread.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "runtime/raft/fsm.hpp"

namespace cafka::raft::test {

inline const node_id n1{1};
inline const node_id n2{2};
inline const node_id n3{3};
inline const std::vector<node_id> three{n1, n2, n3};

inline log_entry entry(int64_t index, int64_t term, std::string data = "x") {
  return log_entry{raft_term{term}, raft_index{index}, entry_kind::command, std::move(data)};
}

inline persisted_state with_log(int64_t term, const std::vector<int64_t>& terms,
                                std::string data = "x") {
  persisted_state st;
  st.term = raft_term{term};
  for (size_t i = 0; i < terms.size(); ++i)
    st.entries.push_back(entry(static_cast<int64_t>(i) + 1, terms[i], data));
  return st;
}

template <class T>
std::vector<std::pair<node_id, T>> sent(const output& out) {
  std::vector<std::pair<node_id, T>> xs;
  for (auto& env : out.messages)
    if (auto m = std::get_if<T>(&env.msg))
      xs.emplace_back(env.to, *m);
  return xs;
}

// Ticks `f` into a pre-vote and feeds it the grants of the other members.
inline void elect(fsm& f) {
  for (int i = 0; i < 100 && f.current_role() != role::candidate; ++i)
    f.tick();
  REQUIRE(f.current_role() == role::candidate);
  auto t = f.term();
  for (auto id : f.members())
    if (id != f.self())
      f.step(id, vote_reply{t + 1, true, true});
  REQUIRE(f.term() == t + 1);
  for (auto id : f.members())
    if (id != f.self())
      f.step(id, vote_reply{t + 1, true, false});
  REQUIRE(f.current_role() == role::leader);
}

} // namespace cafka::raft::test
