// How to test your own actor-based consumer against a cafka cluster under faults, with Catch2
// and cafka::fault_injector. The test starts a 3-node cluster of real `cafka node` processes
// on loopback, runs two of "your" consumer actors in a group, writes with an idempotent
// producer while nodes are killed, isolated and get failing disks, heals everything, and
// then checks what your code must guarantee: every acknowledged record was processed, and
// nothing was processed that was not written. It waits for states (a fault has run its
// course, the cluster took writes again), never for a time, and asserts no count that
// depends on how fast the machine is.
//
// Build: link cafka_actors and Catch2::Catch2WithMain (see tests/CMakeLists.txt); every
// header it includes is cafka's public API under include/cafka/. Run it from ctest, or as
// `chaos_test` with CAFKA_BINARY=/path/to/cafka in the environment.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/admin.hpp"
#include "cafka/client_system.hpp"
#include "cafka/consumer_actor.hpp"
#include "cafka/errc.hpp"
#include "cafka/fault_injector.hpp"
#include "cafka/producer.hpp"
#include "cafka/eventually.hpp"

using cafka::test::eventually;
using namespace std::chrono_literals;

namespace {

// -- your code under test: an actor that processes records -----------------------------------

struct processed {
  std::mutex mtx;
  std::set<std::string> values;
};

caf::behavior my_consumer(caf::event_based_actor* self, std::shared_ptr<processed> out) {
  return {
    [=](cafka::consumer_records& batch) {
      {
        std::lock_guard<std::mutex> guard{out->mtx};
        for (auto& r : batch.records)
          out->values.insert(r.value);
      }
      // Done with this batch: one more, please (and it may be committed now).
      self->send(caf::actor_cast<cafka::consumer_actor>(self->current_sender()),
                 cafka::credit_atom::value, int32_t{1});
    },
    [=](cafka::partitions_assigned&) {},
    [=](cafka::partitions_revoked&) {},
    [=](cafka::consumer_failed&) {},
    [=](cafka::consumer_error&) {},  // the consumer retries; faults cause them on purpose
  };
}

// -- test scaffolding: a local cluster of real processes -------------------------------------

// A free port on 127.0.0.1 below the kernel's ephemeral range (32768 up by default), so no
// outgoing connection can take it before the node binds it.
uint16_t free_port() {
  static std::mt19937 rng{std::random_device{}()};
  static std::set<uint16_t> given;
  for (;;) {
    auto port = static_cast<uint16_t>(std::uniform_int_distribution<int>{20000, 32000}(rng));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    if (ok && given.insert(port).second)
      return port;
  }
}

// A cluster.conf for n local nodes in a fresh directory, removed at the end.
struct scratch_cluster {
  std::string dir;
  std::string conf;
  explicit scratch_cluster(int n) {
    dir = (std::filesystem::temp_directory_path()
           / ("cafka-chaos-example-" + std::to_string(::getpid())))
            .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    conf = dir + "/cluster.conf";
    std::ofstream out{conf};
    out << "[cluster]\nnodes=[";
    for (int i = 1; i <= n; ++i)
      out << (i > 1 ? ", " : "") << "{id=" << i << ", host=\"127.0.0.1\", port="
          << free_port() << ", roles=[\"controller\", \"broker\"]}";
    // chaos-enable: the nodes run the chaos agents that take network and disk faults.
    out << "]\ndata-dir=\"data\"\nchaos-enable=true\n[defaults]\nmin-insync-replicas=2\n"
        << "[middleman]\nheartbeat-interval=200ms\nconnection-timeout=2s\n";
  }
  ~scratch_cluster() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// Kills every node when the test ends, however it ends.
struct stop_nodes {
  cafka::fault_injector& chaos;
  ~stop_nodes() {
    chaos.heal();
    for (auto& n : chaos.config().nodes)
      static_cast<void>(chaos.kill(n.id));
  }
};

// Stops and joins a thread when the test ends, however it ends.
struct join_at_exit {
  std::atomic<bool>& stop;
  std::thread& t;
  ~join_at_exit() {
    stop = true;
    if (t.joinable())
      t.join();
  }
};

// Ends actors when the test ends, however it ends.
template <class Handle>
struct end_actors {
  std::vector<Handle>& xs;
  ~end_actors() {
    for (auto& x : xs)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  }
};

std::string cafka_binary() {
  if (auto env = std::getenv("CAFKA_BINARY"))
    return env;
#ifdef CAFKA_BINARY
  return CAFKA_BINARY;
#else
  return "cafka";
#endif
}

// The values the producer acknowledged, and how many records it sent.
struct acknowledged {
  std::mutex mtx;
  std::set<std::string> values;
  std::atomic<int> sent{0};
  size_t count() {
    std::lock_guard<std::mutex> g{mtx};
    return values.size();
  }
};

// Whether each of `nodes` answers and holds no fault rule any more: their timed faults have
// run out.
bool faults_over(cafka::fault_injector& chaos, const std::set<cafka::node_id>& nodes) {
  size_t over = 0;
  for (auto& s : chaos.status())
    if (nodes.count(s.id) != 0 && s.answered && s.rules.empty())
      ++over;
  return over == nodes.size();
}

// Whether the cluster acknowledges a record written from now on (polled with a deadline).
bool takes_writes(acknowledged& acks) {
  auto before = acks.count();
  return eventually([&] { return acks.count() > before; }, 60s, 50ms);
}

} // namespace

TEST_CASE("my consumer processes every acknowledged record while nodes die, hang, lose "
          "their network and their disks fail",
          "[example][chaos]") {
  scratch_cluster scratch{3};
  cafka::client_system_config cfg;
  caf::actor_system sys{cfg};
  auto cc = cafka::load_cluster_config(scratch.conf);
  REQUIRE(cc);
  cafka::fault_injector chaos{sys, *cc, cafka_binary()};
  stop_nodes guard{chaos};
  for (auto& n : chaos.config().nodes)
    REQUIRE(chaos.restart(n.id));  // starts a node that is down
  REQUIRE(chaos.wait_until_all_answer(60s));
  // Every broker, tried in turn: the clients keep working while any one of them is down.
  auto bootstrap = cafka::cluster_bootstrap(scratch.conf);
  REQUIRE(bootstrap);

  // The topic: 3 partitions on all 3 nodes.
  REQUIRE(eventually([&] {
    auto created = cafka::create_topic(sys, *bootstrap, {"orders", 3, 3}, 5s);
    return created || cafka::errc_of(created.error()) == cafka::errc::topic_already_exists;
  }, 30s, 50ms));

  // Your consumers: two actors in one group (ended when the test ends, however it ends:
  // the actor system waits for every actor before it goes away).
  auto seen = std::make_shared<processed>();
  std::vector<caf::actor> mine;
  std::vector<cafka::consumer_actor> consumers;
  end_actors<caf::actor> end_mine{mine};
  end_actors<cafka::consumer_actor> end_consumers{consumers};
  for (int i = 0; i < 2; ++i) {
    cafka::consumer_config c;
    c.bootstrap = *bootstrap;
    c.group_id = "order-processors";
    c.auto_offset_reset = cafka::offset_reset::earliest;
    mine.push_back(sys.spawn(my_consumer, seen));
    consumers.push_back(cafka::spawn_consumer(sys, c, mine.back(), 2));
    caf::anon_send(consumers.back(), cafka::subscribe_atom::value,
                   std::vector<std::string>{"orders"});
  }

  // The workload: an idempotent producer writing in the background.
  cafka::producer_config pc;
  pc.bootstrap = *bootstrap;
  pc.enable_idempotence = true;
  cafka::producer prod{sys, pc};
  acknowledged acks;
  std::atomic<bool> stop{false};
  std::thread writer;
  join_at_exit join_writer{stop, writer};
  writer = std::thread{[&] {
    for (int i = 0; !stop; ++i) {
      cafka::producer_record r;
      r.topic = "orders";
      std::string value = "order-" + std::to_string(i);
      r.value = value;
      static_cast<void>(prod.send(r, [&, value](const cafka::delivery_report& rep) {
        if (!rep.error) {
          std::lock_guard<std::mutex> g{acks.mtx};
          acks.values.insert(value);
        }
      }));
      acks.sent = i + 1;
      std::this_thread::sleep_for(5ms);  // paces the workload (about 200 records/s)
    }
  }};

  // The faults, one after another; each runs its course before the next one starts.
  std::set<cafka::node_id> all;
  for (auto& n : chaos.config().nodes)
    all.insert(n.id);
  REQUIRE(takes_writes(acks));
  REQUIRE_FALSE(chaos.kill(cafka::node_id{1}));   // a crash: the other two go on
  REQUIRE(takes_writes(acks));
  REQUIRE(chaos.restart(cafka::node_id{1}));      // ...and a restart
  REQUIRE(chaos.wait_until_answers(cafka::node_id{1}, 60s));
  REQUIRE(chaos.isolate(cafka::node_id{2}, 2s));  // cut off; heals by itself
  REQUIRE(eventually([&] { return faults_over(chaos, all); }, 30s, 50ms));
  REQUIRE(takes_writes(acks));
  REQUIRE(chaos.disk(cafka::node_id{3}, cafka::disk_fault::write_error, 0.5, 0ms, 0ms, 2s));
  REQUIRE_FALSE(chaos.pause(cafka::node_id{1}));  // hung, not dead
  REQUIRE(eventually([&] { return faults_over(chaos, {cafka::node_id{3}}); }, 30s, 50ms));
  REQUIRE_FALSE(chaos.resume(cafka::node_id{1}));

  // Recovery: every node answers, the cluster takes writes again, the producer is done.
  chaos.heal();
  REQUIRE(chaos.wait_until_all_answer(60s));
  REQUIRE(takes_writes(acks));
  stop = true;
  writer.join();
  REQUIRE_FALSE(prod.flush(120s));

  // The properties your code must have: it processed every acknowledged record, and only
  // records that were written.
  std::set<std::string> expected;
  {
    std::lock_guard<std::mutex> g{acks.mtx};
    expected = acks.values;
  }
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> g{seen->mtx};
    return std::includes(seen->values.begin(), seen->values.end(), expected.begin(),
                         expected.end());
  }, 60s, 50ms));
  std::vector<std::string> never_written;
  {
    std::lock_guard<std::mutex> g{seen->mtx};
    for (auto& v : seen->values) {
      auto n = v.rfind("order-", 0) == 0 ? std::stoi(v.substr(6)) : -1;
      if (n < 0 || n >= acks.sent)
        never_written.push_back(v);
    }
  }
  CHECK(never_written.empty());
}
