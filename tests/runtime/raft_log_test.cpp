// Tests of raft::raft_log: term lookups around the snapshot, the log-matching check, slices
// bounded by count and bytes, conflict search, truncation, compaction and snapshot install.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/raft/raft_log.hpp"

using namespace cafka;
using namespace cafka::raft;

namespace {

log_entry entry(int64_t index, int64_t term, std::string data = "x") {
  return log_entry{raft_term{term}, raft_index{index}, entry_kind::command, std::move(data)};
}

// Entries 1..n with the given terms.
raft_log make_log(const std::vector<int64_t>& terms) {
  std::vector<log_entry> xs;
  for (size_t i = 0; i < terms.size(); ++i)
    xs.push_back(entry(static_cast<int64_t>(i) + 1, terms[i]));
  return raft_log{snapshot_descriptor{raft_index{0}, raft_term{0}}, std::move(xs)};
}

} // namespace

TEST_CASE("raft log: term lookups and the log-matching check", "[raft]") {
  auto log = make_log({1, 1, 2, 3});
  CHECK(log.first_index() == raft_index{1});
  CHECK(log.last_index() == raft_index{4});
  CHECK(log.last_term() == raft_term{3});
  CHECK(log.term_at(raft_index{0}) == raft_term{0});
  CHECK(log.term_at(raft_index{3}) == raft_term{2});
  CHECK_FALSE(log.term_at(raft_index{5}));
  CHECK(log.matches(raft_index{0}, raft_term{0}));
  CHECK(log.matches(raft_index{2}, raft_term{1}));
  CHECK_FALSE(log.matches(raft_index{2}, raft_term{2}));
  CHECK_FALSE(log.matches(raft_index{9}, raft_term{3}));
}

TEST_CASE("raft log: a log after a snapshot knows the snapshot's term only", "[raft]") {
  std::vector<log_entry> xs{entry(9, 2), entry(10, 2), entry(11, 3), entry(12, 3)};
  raft_log log{snapshot_descriptor{raft_index{10}, raft_term{2}}, xs};  // 9, 10 are skipped
  CHECK(log.first_index() == raft_index{11});
  CHECK(log.size() == 2);
  CHECK(log.term_at(raft_index{10}) == raft_term{2});
  CHECK_FALSE(log.term_at(raft_index{9}));
  CHECK(log.matches(raft_index{10}, raft_term{2}));
  CHECK(log.at(raft_index{12}).term == raft_term{3});
}

TEST_CASE("raft log: slices respect entry count and bytes, but hold at least one entry",
          "[raft]") {
  raft_log log;
  for (int i = 1; i <= 10; ++i)
    log.append(entry(i, 1, std::string(10, 'a')));
  CHECK(log.slice(raft_index{1}, 4, 1000).size() == 4);
  CHECK(log.slice(raft_index{1}, 100, 35).size() == 3);
  CHECK(log.slice(raft_index{1}, 100, 5).size() == 1);  // one oversized entry still goes
  CHECK(log.slice(raft_index{9}, 100, 1000).size() == 2);
  CHECK(log.slice(raft_index{11}, 100, 1000).empty());
}

TEST_CASE("raft log: conflict search finds the first entry of a term", "[raft]") {
  auto log = make_log({1, 1, 2, 2, 2, 4, 4});
  CHECK(log.first_index_with_term(raft_term{2}, raft_index{5}) == raft_index{3});
  CHECK(log.first_index_with_term(raft_term{4}, raft_index{7}) == raft_index{6});
  CHECK(log.first_index_with_term(raft_term{3}, raft_index{7}) == raft_index{6});
  CHECK(log.first_index_with_term(raft_term{1}, raft_index{7}) == raft_index{1});
  CHECK(log.first_index_with_term(raft_term{5}, raft_index{4}) == raft_index{5});
}

TEST_CASE("raft log: truncation, compaction and snapshot install", "[raft]") {
  auto log = make_log({1, 1, 2, 2, 3});
  log.truncate_from(raft_index{4});
  CHECK(log.last_index() == raft_index{3});
  log.append(entry(4, 4));
  CHECK(log.last_term() == raft_term{4});

  log.compact(snapshot_descriptor{raft_index{2}, raft_term{1}});
  CHECK(log.first_index() == raft_index{3});
  CHECK(log.size() == 2);
  log.compact(snapshot_descriptor{raft_index{1}, raft_term{1}});  // older: a no-op
  CHECK(log.first_index() == raft_index{3});

  SECTION("a matching snapshot keeps the suffix") {
    CHECK(log.install_snapshot(snapshot_descriptor{raft_index{3}, raft_term{2}}));
    CHECK(log.first_index() == raft_index{4});
    CHECK(log.last_index() == raft_index{4});
  }
  SECTION("a conflicting snapshot drops the log") {
    CHECK_FALSE(log.install_snapshot(snapshot_descriptor{raft_index{3}, raft_term{3}}));
    CHECK(log.empty());
    CHECK(log.last_index() == raft_index{3});
    CHECK(log.last_term() == raft_term{3});
  }
  SECTION("a snapshot past the end drops the log") {
    CHECK_FALSE(log.install_snapshot(snapshot_descriptor{raft_index{9}, raft_term{5}}));
    CHECK(log.empty());
    CHECK(log.last_index() == raft_index{9});
  }
}
