// The chaos agent's own checks (runtime/chaos/rule_check): every field of a rule that arrives
// from the network is in range and under the caps, or the rule is refused with the reason.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "runtime/base/errc.hpp"
#include "runtime/chaos/rule_check.hpp"

using namespace cafka;
using namespace std::chrono_literals;

namespace {

const std::set<node_id> cluster{node_id{1}, node_id{2}, node_id{3}};

// The message of validate_rule's error, or "ok".
std::string check(const fault_rule& r, int64_t duration_ms = 0, chaos_limits lim = {}) {
  auto err = validate_rule(r, duration_ms, lim, cluster);
  if (!err)
    return "ok";
  CHECK(errc_of(err) == errc::invalid_request);
  return context_of(err);
}

} // namespace

TEST_CASE("rules within the caps pass", "[chaos]") {
  fault_rule cut;
  cut.from = {node_id{1}};
  cut.to = {node_id{2}, node_id{3}};
  cut.drop = 1.0;
  CHECK(check(cut) == "ok");
  CHECK(check(cut, 3600000) == "ok");
  fault_rule late;
  late.delay = 10000ms;
  late.jitter = 10000ms;
  late.duplicate = 0.0;
  CHECK(check(late) == "ok");
  fault_rule slow;
  slow.disk = disk_fault::slow;
  slow.delay = 600ms;
  slow.jitter = 400ms;
  CHECK(check(slow) == "ok");
  fault_rule fsync;
  fsync.disk = disk_fault::fsync_error;
  fsync.drop = 0.5;
  CHECK(check(fsync, 2000) == "ok");
}

TEST_CASE("a probability outside [0, 1] or not finite is refused", "[chaos]") {
  fault_rule r;
  r.drop = 1.5;
  CHECK(check(r) == "drop probability must be between 0 and 1, got 1.5");
  r.drop = -0.1;
  CHECK(check(r) == "drop probability must be between 0 and 1, got -0.1");
  r.drop = std::nan("");
  CHECK(check(r) == "drop probability must be between 0 and 1, got nan");
  r.drop = 0.0;
  r.duplicate = std::numeric_limits<double>::infinity();
  CHECK(check(r) == "duplicate probability must be between 0 and 1, got inf");
}

TEST_CASE("a delay or jitter below 0 or over chaos-max-delay-ms is refused", "[chaos]") {
  fault_rule r;
  r.delay = -1ms;
  CHECK(check(r) == "delay must not be negative, got -1 ms");
  r.delay = 10001ms;
  CHECK(check(r) == "delay 10001 ms is over chaos-max-delay-ms (10000 ms)");
  r.delay = std::chrono::milliseconds{std::numeric_limits<int64_t>::max()};
  CHECK(check(r) == "delay 9223372036854775807 ms is over chaos-max-delay-ms (10000 ms)");
  r.delay = 0ms;
  r.jitter = -5ms;
  CHECK(check(r) == "jitter must not be negative, got -5 ms");
  chaos_limits lim;
  lim.max_delay_ms = 100;
  r.jitter = 101ms;
  CHECK(check(r, 0, lim) == "jitter 101 ms is over chaos-max-delay-ms (100 ms)");
}

TEST_CASE("a duration below 0 or over chaos-max-duration-ms is refused", "[chaos]") {
  fault_rule r;
  r.drop = 0.2;
  CHECK(check(r, -1) == "duration must not be negative, got -1 ms");
  CHECK(check(r, 3600001) == "duration 3600001 ms is over chaos-max-duration-ms (3600000 ms)");
  CHECK(check(r, std::numeric_limits<int64_t>::max())
        == "duration 9223372036854775807 ms is over chaos-max-duration-ms (3600000 ms)");
}

TEST_CASE("a disk fault that is none of disk_fault's values is refused", "[chaos]") {
  fault_rule r;
  r.disk = static_cast<disk_fault>(4);
  CHECK(check(r) == "unknown disk fault 4");
  r.disk = static_cast<disk_fault>(255);
  CHECK(check(r) == "unknown disk fault 255");
}

TEST_CASE("a slow disk's delay plus jitter over chaos-max-disk-delay-ms is refused",
          "[chaos]") {
  fault_rule r;
  r.disk = disk_fault::slow;
  r.delay = 800ms;
  r.jitter = 201ms;
  CHECK(check(r) == "slow disk delay + jitter 1001 ms is over chaos-max-disk-delay-ms (1000 ms)");
  // The network cap comes first: a near-INT64_MAX delay never reaches the sum.
  r.delay = std::chrono::milliseconds{std::numeric_limits<int64_t>::max() - 1};
  r.jitter = 0ms;
  CHECK(check(r) == "delay 9223372036854775806 ms is over chaos-max-delay-ms (10000 ms)");
}

TEST_CASE("node sets must name only the cluster's nodes and fit in it", "[chaos]") {
  fault_rule r;
  r.drop = 1.0;
  r.from = {node_id{9}};
  CHECK(check(r) == "from names node 9, which is not in the cluster's config");
  r.from = {node_id{1}};
  r.to = {node_id{2}, node_id{-1}};
  CHECK(check(r) == "to names node -1, which is not in the cluster's config");
  r.to.clear();
  for (int32_t i = 1; i <= 4; ++i)
    r.to.insert(node_id{i});
  CHECK(check(r) == "to names 4 nodes, the cluster has 3");
}

TEST_CASE("a node takes at most chaos-max-rules rules at once", "[chaos]") {
  chaos_limits lim;
  lim.max_rules = 2;
  CHECK_FALSE(check_room(0, lim));
  CHECK_FALSE(check_room(1, lim));
  auto err = check_room(2, lim);
  CHECK(errc_of(err) == errc::invalid_request);
  CHECK(context_of(err) == "the node has 2 rules, chaos-max-rules is 2 (heal first)");
}

TEST_CASE("slow disk rules together stall at most chaos-max-disk-delay-ms", "[chaos]") {
  fault_rule slow;
  slow.disk = disk_fault::slow;
  slow.delay = 400ms;
  fault_rule cut;
  cut.drop = 1.0;
  cut.delay = 900ms;
  std::vector<std::pair<uint64_t, fault_rule>> active{{1, slow}, {2, cut}};
  chaos_limits lim;
  CHECK_FALSE(check_disk_stall(slow, active, lim));  // 400 + 400: network delays do not count
  active.emplace_back(3, slow);
  auto err = check_disk_stall(slow, active, lim);
  REQUIRE(err);
  CHECK(errc_of(err) == errc::invalid_request);
  CHECK(context_of(err) == "slow disk rules would stall each write 1200 ms together, "
                           "chaos-max-disk-delay-ms is 1000 ms");
  CHECK_FALSE(check_disk_stall(cut, active, lim));  // only slow rules are summed
}

TEST_CASE("a node without chaos-enable says so and how to change it", "[chaos]") {
  auto err = chaos_disabled_error(node_id{2});
  CHECK(errc_of(err) == errc::chaos_disabled);
  CHECK(describe(err)
        == "chaos_disabled: chaos is disabled on node 2 (set chaos-enable=true in "
           "cluster.conf's [cluster] section)");
}
