// Issue 17's acceptance with real node processes: every node's /metrics parses with Debian's
// python3-prometheus-client and agrees with the cluster, a killed follower shows as
// under-replicated in its leaders' metrics and recovers; the live view in headless Chromium
// follows a node's death without a reload; bad HTTP input leaves the node serving.
#include <catch2/catch.hpp>


#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "cafka/eventually.hpp"
#include "runtime/http/http_get.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/page_driver.hpp"
#include "tests/loopback_client.hpp"
#include "tests/temp_dir.hpp"

using cafka::test::eventually;
using cafka::test::loopback_client;
using cafka::testing::cluster_process;
using cafka::testing::page_driver;
using namespace std::chrono_literals;

namespace {

struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// GET /metrics of node `id`, parsed by prometheus_client; empty (and `why` set) on failure.
std::vector<sample> scrape(const cluster_process& c, int32_t id, std::string& why) {
  std::vector<sample> out;
  auto text = cafka::http::http_get("127.0.0.1", c.metrics_port(id), "/metrics", 5s);
  if (!text) {
    why = to_string(text.error());
    return out;
  }
  auto parsed = cafka::testing::run(
    "/usr/bin/python3", {std::string{CAFKA_SOURCE_DIR} + "/tests/tools/prom_parse.py"}, *text);
  if (parsed.exit_code != 0) {
    why = parsed.err;
    return out;
  }
  std::istringstream lines{parsed.out};
  std::string line;
  while (std::getline(lines, line)) {
    namespace pt = boost::property_tree;
    pt::ptree t;
    std::istringstream in{line};
    pt::read_json(in, t);
    if (t.count("families") > 0)
      continue;
    sample s;
    s.name = t.get<std::string>("name");
    for (auto& l : t.get_child("labels"))
      s.labels[l.first] = l.second.data();
    s.value = t.get<double>("value");
    out.push_back(std::move(s));
  }
  return out;
}

double sum_of(const std::vector<sample>& xs, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  double total = 0;
  for (auto& s : xs) {
    if (s.name != name)
      continue;
    bool match = true;
    for (auto& [k, v] : labels)
      match = match && s.labels.count(k) > 0 && s.labels.at(k) == v;
    if (match)
      total += s.value;
  }
  return total;
}

// Per partition of `topic`: the value of `name` on the node whose cafka_partition_leader is 1.
std::map<std::string, double> on_leaders(const std::map<int32_t, std::vector<sample>>& nodes,
                                         const std::string& topic, const std::string& name) {
  std::map<std::string, double> out;
  for (auto& [id, xs] : nodes)
    for (auto& s : xs)
      if (s.name == "cafka_partition_leader" && s.value == 1 && s.labels.at("topic") == topic)
        out[s.labels.at("partition")]
          = sum_of(xs, name, {{"topic", topic}, {"partition", s.labels.at("partition")}});
  return out;
}

std::map<int32_t, std::vector<sample>> scrape_all(const cluster_process& c,
                                                  std::vector<int32_t> ids, std::string& why) {
  std::map<int32_t, std::vector<sample>> out;
  for (auto id : ids) {
    auto xs = scrape(c, id, why);
    if (xs.empty())
      return {};
    out[id] = std::move(xs);
  }
  return out;
}

void create_and_fill(cluster_process& c, const std::string& topic, int records) {
  REQUIRE(c.cli({"topics", "create", "--topic", topic, "--partitions", "3",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  std::string input;
  for (int i = 0; i < records; ++i)
    input += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  auto p = c.cli({"produce", "--topic", topic, "--acks", "all", "--key-separator", ":"}, input);
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
}

} // namespace

TEST_CASE("every node's /metrics parses and agrees with the cluster, and a dead follower shows "
          "as under-replicated until it is back",
          "[integration][observability]") {
  cluster_process c{cafka::testing::combined_nodes(3), {}, true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  constexpr int n = 300;
  create_and_fill(c, "obs", n);
  std::string why;
  std::map<int32_t, std::vector<sample>> nodes;
  // The counters count what the leaders appended; the high watermark follows the followers.
  bool agree = eventually(
    [&] {
      nodes = scrape_all(c, {1, 2, 3}, why);
      if (nodes.empty())
        return false;
      double records = 0, bytes = 0;
      for (auto& [id, xs] : nodes) {
        records += sum_of(xs, "cafka_broker_records_in_total");
        bytes += sum_of(xs, "cafka_broker_bytes_in_total");
      }
      auto ends = on_leaders(nodes, "obs", "cafka_partition_log_end_offset");
      auto hws = on_leaders(nodes, "obs", "cafka_partition_high_watermark");
      auto sizes = on_leaders(nodes, "obs", "cafka_partition_size_bytes");
      double end_total = 0, hw_total = 0, size_total = 0;
      for (auto& [p, v] : ends)
        end_total += v;
      for (auto& [p, v] : hws)
        hw_total += v;
      for (auto& [p, v] : sizes)
        size_total += v;
      why = "records " + std::to_string(records) + " bytes " + std::to_string(bytes)
            + " leaders " + std::to_string(ends.size()) + " ends " + std::to_string(end_total)
            + " hws " + std::to_string(hw_total) + " sizes " + std::to_string(size_total);
      return records == n && ends.size() == 3 && end_total == n && hw_total == n
             && bytes > 0 && bytes == size_total;
    },
    30s, 200ms);
  INFO(why);
  REQUIRE(agree);
  for (auto& [id, xs] : nodes) {
    INFO("node " << id);
    CHECK(sum_of(xs, "cafka_process_resident_memory_bytes") > 0);
    CHECK(sum_of(xs, "cafka_process_open_fds") > 0);
    CHECK(sum_of(xs, "cafka_quorum_role") == 1);  // one role, whichever it is
    CHECK(sum_of(xs, "cafka_partition_replicas", {{"topic", "obs"}}) == 9);  // RF 3 each
  }
  double produce_requests = 0;
  for (auto& [id, xs] : nodes)
    produce_requests
      += sum_of(xs, "cafka_requests_total", {{"protocol", "native"}, {"api", "produce"}});
  CHECK(produce_requests > 0);
  double active = 0;
  for (auto& [id, xs] : nodes)
    active += sum_of(xs, "cafka_controller_active");
  CHECK(active == 1);

  // Reads count what went out to consumers, once per record sent: a native consumer's reads,
  // then a Kafka consumer's (its long polls read again; only what it is sent counts).
  auto records_out = [&](double expected) {
    return eventually(
      [&] {
        auto all = scrape_all(c, {1, 2, 3}, why);
        double out = 0;
        for (auto& [id, xs] : all)
          out += sum_of(xs, "cafka_broker_records_out_total");
        why = "records out " + std::to_string(out);
        return !all.empty() && out == expected;
      },
      20s, 200ms);
  };
  auto consumed = c.cli({"consume", "--topic", "obs", "--from-beginning", "--max-messages",
                         std::to_string(n)});
  REQUIRE(consumed.exit_code == 0);
  bool native_out = records_out(n);
  INFO(why);
  CHECK(native_out);
  auto kafka = cafka::testing::kcat_read(c.kafka_bootstrap(), "obs");
  INFO(kafka.error);
  REQUIRE(kafka.ok);
  REQUIRE(kafka.records.size() == static_cast<size_t>(n));
  bool kafka_out = records_out(2 * n);
  INFO(why);
  CHECK(kafka_out);
  auto after = scrape_all(c, {1, 2, 3}, why);
  double fetches = 0;
  for (auto& [id, xs] : after)
    fetches += sum_of(xs, "cafka_requests_total", {{"protocol", "kafka"}, {"api", "Fetch"}});
  CHECK(fetches > 0);

  // Node 3 dies: within the session timeout it is fenced and out of every ISR, and the
  // partitions' leaders (nodes 1 and 2) say under-replicated.
  c.kill9(3);
  auto under = [&](double expected) {
    return eventually(
      [&] {
        auto live = scrape_all(c, {1, 2}, why);
        if (live.empty())
          return false;
        auto flags = on_leaders(live, "obs", "cafka_partition_under_replicated");
        why = std::to_string(flags.size()) + " leaders:";
        bool all = flags.size() == 3;
        for (auto& [p, v] : flags) {
          why += " " + p + "=" + std::to_string(v);
          all = all && v == expected;
        }
        return all;
      },
      30s, 200ms);
  };
  bool flagged = under(1);
  INFO(why);
  CHECK(flagged);
  c.start(3);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  bool healed = under(0);
  INFO(why);
  CHECK(healed);
}

TEST_CASE("the live view in headless Chromium shows the cluster and a node's death without "
          "a reload",
          "[integration][observability]") {
  cluster_process c{cafka::testing::combined_nodes(3)};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  create_and_fill(c, "view", 120);
  // A group with committed offsets at the start: its lag is every record.
  auto reset = c.cli({"groups", "reset-offsets", "--group", "viewers", "--topic", "view",
                      "--to-earliest", "--execute"});
  INFO(reset.out << reset.err);
  REQUIRE(reset.exit_code == 0);

  cafka::test::temp_dir dir;
  page_driver page{dir, "http://127.0.0.1:" + std::to_string(c.metrics_port(1)) + "/"};
  const std::string brokers = "[...document.querySelectorAll('[data-testid=broker]')]"
                              ".map(r => r.dataset.id + ':' + r.dataset.state).join(',')";
  const std::string rows = "[...document.querySelectorAll('[data-testid=partition]"
                           "[data-topic=view]')].map(r => r.dataset.partition + ':' + "
                           "r.dataset.underReplicated).join(',')";
  const std::string lag = "(g => g ? g.dataset.lag : 'none')(document.querySelector("
                          "'[data-testid=group][data-group=viewers]'))";
  CHECK(page.wait_text(brokers, "1:alive,2:alive,3:alive", 30) == "1:alive,2:alive,3:alive");
  CHECK(page.wait_text(rows, "0:false,1:false,2:false", 30) == "0:false,1:false,2:false");
  CHECK(page.wait_text(lag, "120", 30) == "120");

  CHECK(page.command("eval window.not_reloaded = 'yes'") == "value \"yes\"");
  c.kill9(3);
  CHECK(page.wait_text(brokers, "1:alive,2:alive,3:fenced", 30) == "1:alive,2:alive,3:fenced");
  CHECK(page.wait_text(rows, "0:true,1:true,2:true", 30) == "0:true,1:true,2:true");
  CHECK(page.command("eval window.not_reloaded") == "value \"yes\"");
  // The timeline has the fencing the controller logged.
  CHECK(page.wait_text("[...document.querySelectorAll('[data-testid=event]')]"
                       ".some(e => e.dataset.kind === 'broker_fenced')",
                       "true", 30)
        == "true");

  auto artifacts = std::filesystem::path{CAFKA_BINARY_DIR} / "artifacts";
  std::filesystem::create_directories(artifacts);
  auto shot = (artifacts / "live_view_node_down.png").string();
  std::filesystem::remove(shot);
  CHECK(page.command("shot " + shot) == "saved " + shot);
  CHECK(std::filesystem::exists(shot));
}

TEST_CASE("bad HTTP requests get errors or are closed and the node keeps serving",
          "[integration][observability]") {
  cluster_process c{cafka::testing::combined_nodes(1)};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  auto port = c.metrics_port(1);
  {
    loopback_client unknown{port};
    unknown.send("GET /admin HTTP/1.1\r\nConnection: close\r\n\r\n");
    auto [text, closed] = unknown.read_all(10s);
    CHECK(closed);
    CHECK(text.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  }
  {
    loopback_client post{port};
    post.send("DELETE /metrics HTTP/1.1\r\n\r\n");
    auto [text, closed] = post.read_all(10s);
    CHECK(closed);
    CHECK(text.rfind("HTTP/1.1 405 ", 0) == 0);
  }
  {
    loopback_client huge{port};
    std::string req = "GET /metrics HTTP/1.1\r\n";
    for (int i = 0; i < 5000; ++i)
      req += "X-" + std::to_string(i) + ": " + std::string(30, 'h') + "\r\n";
    huge.send(req);
    auto [text, closed] = huge.read_all(10s);
    CHECK(closed);
    CHECK(text.rfind("HTTP/1.1 431 ", 0) == 0);
  }
  {
    loopback_client garbage{port};
    garbage.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n");
    auto [text, closed] = garbage.read_all(10s);
    CHECK(closed);
    CHECK(text.rfind("HTTP/1.1 400 ", 0) == 0);
  }
  // Slowloris: a header line every second, never the end. The node closes each such
  // connection at its 10 s request deadline, and serves others meanwhile.
  std::vector<std::unique_ptr<loopback_client>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<loopback_client>(port));
    slow.back()->send("GET /metrics HTTP/1.1\r\n");
  }
  auto metrics = cafka::http::http_get("127.0.0.1", port, "/metrics", 5s);
  REQUIRE(metrics);
  CHECK(metrics->find("cafka_process_open_fds") != std::string::npos);
  size_t closed = 0;
  for (int second = 0; second < 20 && closed < slow.size(); ++second) {
    closed = 0;
    for (auto& s : slow) {
      s->send("X-Slow: " + std::to_string(second) + "\r\n");
      closed += s->read_all(50ms).second ? 1 : 0;
    }
  }
  // They kept sending: only the deadline can have ended them.
  CHECK(closed == slow.size());
  // The node still takes and serves records.
  REQUIRE(c.cli({"topics", "create", "--topic", "after", "--partitions", "1"}).exit_code == 0);
  REQUIRE(c.cli({"produce", "--topic", "after"}, "still here\n").exit_code == 0);
  auto r = c.cli({"consume", "--topic", "after", "--from-beginning", "--max-messages", "1"});
  CHECK(r.out.find("still here") != std::string::npos);
}

namespace {

struct cluster_down_at_end {
  cluster_process& c;
  ~cluster_down_at_end() { c.cli({"cluster", "down"}); }
};

// The kinds of the events /api/view of node `id` shows now, and the brokers' states.
std::set<std::string> view_event_kinds(const cluster_process& c, int32_t id,
                                       std::set<std::string>& states) {
  std::set<std::string> kinds;
  auto body = cafka::http::http_get("127.0.0.1", c.metrics_port(id), "/api/view", 5s);
  if (!body)
    return kinds;
  namespace pt = boost::property_tree;
  pt::ptree t;
  std::istringstream in{*body};
  pt::read_json(in, t);
  for (auto& e : t.get_child("events"))
    kinds.insert(e.second.get<std::string>("kind"));
  for (auto& b : t.get_child("brokers"))
    states.insert(b.second.get<std::string>("id") + ":" + b.second.get<std::string>("state"));
  return kinds;
}

} // namespace

TEST_CASE("the live view follows a cafka chaos run: faults, fencing, leader moves and "
          "recovery",
          "[integration][observability][chaos]") {
  // A 600 ms lease: seed 2's isolations are shorter than the default 3 s one.
  cluster_process c{cafka::testing::combined_nodes(3),
                    "min-insync-replicas=2\nbroker-session-timeout-ms=600\n", false,
                    "chaos-enable=true\n"};
  cluster_down_at_end guard{c};
  REQUIRE(c.cli({"cluster", "up"}).exit_code == 0);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  // Seed 2's schedule isolates nodes: each is fenced and its leaderships move, then it heals.
  cafka::testing::background_process run{
    CAFKA_BINARY,
    {"chaos", "run", "--config", c.config(), "--seed", "2", "--duration", "12s", "--faults",
     "partition", "--partitions", "3"}};
  std::set<std::string> kinds;
  std::set<std::string> states;
  bool seen = eventually(
    [&] {
      auto now = view_event_kinds(c, 1, states);
      kinds.insert(now.begin(), now.end());
      return kinds.count("fault_injected") > 0 && kinds.count("fault_healed") > 0
             && kinds.count("broker_fenced") > 0 && kinds.count("broker_unfenced") > 0
             && kinds.count("leader_election") > 0;
    },
    60s, 500ms);
  std::string all;
  for (auto& k : kinds)
    all += k + " ";
  INFO("event kinds seen: " << all);
  CHECK(seen);
  auto code = run.wait(120s);
  INFO(run.err());
  CHECK(code == 0);
  // Healed: every broker alive again in the view.
  bool whole = eventually(
    [&] {
      std::set<std::string> now;
      view_event_kinds(c, 1, now);
      return now == std::set<std::string>{"1:alive", "2:alive", "3:alive"};
    },
    30s, 500ms);
  CHECK(whole);
}
