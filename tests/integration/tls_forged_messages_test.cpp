// What a process holding the cluster's *client* certificate can do to a TLS cluster by
// sending node-to-node messages itself: nothing. It connects the way the CLI does, takes the
// handles a node hands any client, then forges Raft traffic, a broker registration, a hello,
// a metadata push, a replica fetch, ISR changes, a garbage snapshot, a tick, a down message
// and exit messages. Requests get cluster_authorization_failed; one-way messages change
// nothing; the cluster keeps every acknowledged record, keeps serving, and the chaos
// checker's run afterwards finds no violation.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/controller/controller_interface.hpp"
#include "actors/node/blocking_connect.hpp"
#include "actors/node/node_interface.hpp"
#include "cafka/client_system.hpp"
#include "cafka/eventually.hpp"
#include "runtime/base/errc.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::numbered_lines;
using namespace cafka;
using namespace std::chrono_literals;

namespace {

constexpr auto timeout = std::chrono::seconds{5};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The refusal a request gets: exactly cluster_authorization_failed, naming the client;
// "accepted" if it was answered with a Result.
template <class Result, class Handle, class... Ts>
std::string refusal_of(caf::scoped_actor& self, const Handle& dest, Ts... xs) {
  std::string result = "no answer";
  self->request(dest, timeout, xs...)
    .receive([&](Result&) { result = "accepted"; },
             [&](caf::error& err) {
               result = errc_of(err) == errc::cluster_authorization_failed
                          ? context_of(err)
                          : "wrong error: " + describe(err);
             });
  return result;
}

// Node `via`'s quorum term, as `cafka cluster status` prints it.
int64_t term_of(caf::scoped_actor& self, const controller_member_actor& member) {
  int64_t term = -1;
  self->request(member, timeout, status_atom::value)
    .receive([&](const quorum_status& q) { term = q.term.value; }, [](caf::error&) {});
  return term;
}

} // namespace

TEST_CASE("a client certificate cannot forge node-to-node messages", "[integration][tls]") {
  // chaos-enable: the chaos checker's run at the end is the liveness check.
  cluster_process c{combined_nodes(3), "min-insync-replicas=2\n", false, "chaos-enable=true\n"};
  REQUIRE(c.cli({"tls", "init"}).exit_code == 0);
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "victim", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "victim", "--acks", "all"}, numbered_lines(1, 50))
            .exit_code
          == 0);
  auto leaders = c.leaders("victim");
  REQUIRE(leaders.count(0) == 1);
  auto leader = leaders[0];
  REQUIRE(leader > 0);

  client_system_config cfg;
  tls_files files{c.dir() + "/tls/ca.pem", c.dir() + "/tls/client.pem",
                  c.dir() + "/tls/client.key", ""};
  REQUIRE(!configure_tls(cfg, files));
  {
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    auto node = connect_node(sys, "127.0.0.1", c.port(leader), timeout);
    REQUIRE(node);
    controller_member_actor member;
    broker_actor broker;
    self->request(*node, timeout, controller_atom::value)
      .receive([&](controller_member_actor& m) { member = m; }, [](caf::error&) {});
    self->request(*node, timeout, broker_atom::value)
      .receive([&](broker_actor& b) { broker = b; }, [](caf::error&) {});
    REQUIRE(member);
    REQUIRE(broker);
    auto term_before = term_of(self, member);
    REQUIRE(term_before > 0);
    auto other = node_id{leader == 1 ? 2 : 1};
    auto me = caf::actor_cast<caf::strong_actor_ptr>(caf::actor{self});

    // Requests: refused with the exact error, naming who asked.
    // A hello to node 3 in node 1's name (node 3 takes hellos from lower ids only).
    auto third = connect_node(sys, "127.0.0.1", c.port(3), timeout);
    REQUIRE(third);
    auto r = refusal_of<caf::ok_atom>(self, *third, hello_atom::value, node_id{1}, me);
    INFO(r);
    CHECK(contains(r, "client 'client'"));
    broker_metadata fake{other, "10.66.66.66", 1, true, 1, {}};
    r = refusal_of<cluster_metadata>(self, member, register_atom::value, fake, broker);
    INFO(r);
    CHECK(contains(r, "client 'client'"));
    replica_fetch_request fetch;
    fetch.tp = topic_partition{"victim", partition_id{0}};
    fetch.follower = other;
    fetch.epoch = leader_epoch{0};
    fetch.offset = log_offset{1000000};
    r = refusal_of<replica_fetch_response>(self, broker, replica_fetch_atom::value, fetch);
    INFO(r);
    CHECK(contains(r, "client 'client'"));
    alter_isr_request shrink;
    shrink.tp = fetch.tp;
    shrink.leader = node_id{leader};
    shrink.isr = {node_id{leader}};
    r = refusal_of<partition_metadata>(self, broker, alter_isr_atom::value, shrink);
    INFO(r);
    CHECK(contains(r, "client 'client'"));
    r = refusal_of<partition_metadata>(self, member, alter_isr_atom::value, shrink);
    INFO(r);
    CHECK(contains(r, "client 'client'"));

    // One-way messages: dropped. A vote reply and an append request with a huge term would
    // have made the member adopt it; a metadata push with the largest version and no topics
    // would have deleted the partition and made every real push look stale.
    auto huge = raft_term{std::numeric_limits<int64_t>::max() - 1};
    self->send(member, raft_atom::value, other, raft::vote_reply{huge, true, false});
    raft::append_request append;
    append.term = huge;
    self->send(member, raft_atom::value, other, append);
    cluster_metadata wipe;
    wipe.version = std::numeric_limits<uint64_t>::max();
    self->send(broker, md_update_atom::value, wipe);
    self->send(broker, peer_atom::value, other, me);
    // A snapshot of garbage in the current term (the member would have persisted it, then
    // failed to load it at every restart), a tick (another timer loop) and a down message
    // (a fake death of a monitored actor).
    raft::install_snapshot garbage;
    garbage.term = raft_term{term_before};
    garbage.snp.desc = raft::snapshot_descriptor{raft_index{1000000}, raft_term{term_before}};
    garbage.snp.data = std::string(64, '\x7f');
    self->send(member, raft_atom::value, other, garbage);
    auto untyped = caf::actor_cast<caf::actor>(member);
    self->send(untyped, caf::tick_atom::value);
    self->send(untyped, caf::down_msg{caf::actor_cast<caf::actor_addr>(broker),
                                      caf::exit_reason::kill});
    // Exit messages by handle: CAF would deliver them; the filter drops them.
    self->send_exit(member, caf::exit_reason::kill);
    self->send_exit(broker, caf::exit_reason::kill);
    self->send_exit(*node, caf::exit_reason::kill);

    // The status request is answered after the forged messages (one sender, one order).
    auto term_after = term_of(self, member);
    CHECK(term_after >= term_before);
    CHECK(term_after < 1000);
  }

  // The cluster is whole: every node alive, the partition and its data still there, and
  // real metadata pushes still applied (a topic created now shows up on the attacked node).
  CHECK(c.brokers_alive(3));
  auto after = c.leaders("victim", leader);
  CHECK(after.count(0) == 1);
  REQUIRE(c.cli({"topics", "create", "--topic", "later", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  CHECK(eventually([&] { return c.leaders("later", leader).count(0) == 1; }, 15s));
  REQUIRE(c.cli({"produce", "--topic", "victim", "--acks", "all"}, numbered_lines(51, 100))
            .exit_code
          == 0);
  auto read = c.cli({"consume", "--topic", "victim", "--from-beginning", "--max-messages",
                     "100", "--timeout-ms", "20000"},
                    {}, leader);
  CHECK(read.exit_code == 0);
  CHECK(read.out == numbered_lines(1, 100));
  for (int32_t id = 1; id <= 3; ++id)
    CHECK(c.running(id));
  // Liveness after the attack: the chaos checker's workload under faults finds nothing wrong.
  auto run = c.cli({"chaos", "run", "--seed", "1", "--duration", "5s", "--rate", "200",
                    "--partitions", "2", "--faults", "delay,drop"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("result: OK") != std::string::npos);
}
