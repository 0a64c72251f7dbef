// The live view page (runtime/http/view_page) in a real browser, without cafka's HTTP server:
// python3's http.server serves the page as index.html and a fixture as api/view, and
// tests/tools/headless_page.py drives headless Chromium. The test's main thread only.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cafka/eventually.hpp"
#include "runtime/http/view_page.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/page_driver.hpp"
#include "tests/temp_dir.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::page_driver;
using namespace std::chrono_literals;

namespace {

const std::string python = "/usr/bin/python3";

// Replaces the file in one rename, so the page never fetches half of it.
void write_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path.string() + ".tmp";
  std::ofstream{tmp, std::ios::binary | std::ios::trunc} << text;
  std::filesystem::rename(tmp, path);
}

bool accepts_connections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// What the fixture's cluster looks like: healthy but for one under-replicated partition, or
// after broker 2 was fenced (every partition it held shrinks its ISR, payments-0 loses its
// only replica, node 3 takes over as controller, and a broker_fenced event is the newest).
struct fixture {
  int64_t time_ms = 0;
  bool broker2_fenced = false;
  std::string error;
};

std::string partition_json(int p, int leader, int epoch, const std::string& replicas,
                           const std::string& isr, bool under, bool unavailable, int64_t end) {
  return "{\"partition\": " + std::to_string(p) + ", \"leader\": " + std::to_string(leader)
         + ", \"leader_epoch\": " + std::to_string(epoch) + ", \"replicas\": [" + replicas
         + "], \"isr\": [" + isr + "], \"under_replicated\": " + (under ? "true" : "false")
         + ", \"unavailable\": " + (unavailable ? "true" : "false")
         + ", \"log_end_offset\": " + std::to_string(end)
         + ", \"high_watermark\": " + std::to_string(end) + "}";
}

std::string view_json(const fixture& f) {
  bool down = f.broker2_fenced;
  auto t = std::to_string(f.time_ms);
  std::string out = "{\"node\": 1, \"time_ms\": " + t
                    + ", \"cluster_id\": \"q3Xv-7c9TqW2k1fQ0xP1mA\", \"metadata_version\": "
                    + (down ? "43" : "42") + ", \"controller\": " + (down ? "3" : "2")
                    + ", \"error\": \"" + f.error + "\",\n\"brokers\": [";
  out += R"({"id": 1, "address": "127.0.0.1:9101", "state": "alive", "controller": true,
             "quorum_role": "follower", "metrics_url": "http://127.0.0.1:10101/metrics"},)";
  out += std::string{"{\"id\": 2, \"address\": \"127.0.0.1:9102\", \"state\": \""}
         + (down ? "fenced" : "alive") + "\", \"controller\": true, \"quorum_role\": \""
         + (down ? "" : "leader") + "\", \"metrics_url\": \"\"},";
  out += std::string{"{\"id\": 3, \"address\": \"127.0.0.1:9103\", \"state\": \"alive\", "}
         + "\"controller\": true, \"quorum_role\": \"" + (down ? "leader" : "follower")
         + "\", \"metrics_url\": \"http://127.0.0.1:10103/metrics\"}],\n\"topics\": [";
  out += "{\"name\": \"orders\", \"internal\": false, \"partitions\": ["
         + partition_json(0, 1, 3, "1, 2, 3", down ? "1, 3" : "1, 2, 3", down, false, 1200)
         + ", " + partition_json(1, down ? 3 : 2, down ? 4 : 3, "2, 3, 1",
                                 down ? "3, 1" : "2, 3, 1", down, false, 1180)
         + ", " + partition_json(2, 3, 3, "3, 1, 2", "3, 1", true, false, 990) + "]},";
  out += "{\"name\": \"payments\", \"internal\": false, \"partitions\": ["
         + partition_json(0, down ? -1 : 2, 2, "2", "2", false, down, 50) + "]},";
  out += "{\"name\": \"__consumer_offsets\", \"internal\": true, \"partitions\": [";
  for (int p = 0; p < 3; ++p)
    out += partition_json(p, p + 1, 1, "1, 2, 3", "1, 2, 3", false, false, 10 * p)
           + (p < 2 ? ", " : "]}],\n");
  out += R"("groups": [{"group": "g1", "state": "Stable", "coordinator": 1, "generation": 5,
    "members": [
      {"member_id": "m-1-4f1c", "client": "node-1", "host": "127.0.0.1", "partitions": ["orders-0", "orders-1"]},
      {"member_id": "m-2-9a0e", "client": "node-2", "host": "127.0.0.1", "partitions": ["orders-2"]}],
    "offsets": [
      {"topic": "orders", "partition": 0, "committed": 1150, "log_end_offset": 1200, "lag": 50},
      {"topic": "orders", "partition": 1, "committed": 1180, "log_end_offset": 1180, "lag": 0},
      {"topic": "orders", "partition": 2, "committed": -1, "log_end_offset": 990, "lag": -1}],
    "lag": 50}],
)";
  // Three minutes of samples, a second apart, with a wave so the lines have a shape; no
  // produce request in ten of those seconds (null latencies).
  std::string throughput, latency;
  for (int i = 0; i < 180; ++i) {
    auto ts = std::to_string(f.time_ms - (179 - i) * 1000);
    auto records = 1000 + (i % 60 < 30 ? i % 30 : 30 - i % 30) * 20;
    throughput += (i ? ", " : "") + std::string{"{\"time_ms\": "} + ts + ", \"records_in\": "
                  + std::to_string(records) + ", \"bytes_in\": " + std::to_string(records * 100)
                  + ", \"records_out\": " + std::to_string(records * 9 / 10)
                  + ", \"bytes_out\": " + std::to_string(records * 90) + "}";
    bool idle = i >= 100 && i < 110;
    latency += (i ? ", " : "") + std::string{"{\"time_ms\": "} + ts + ", \"p50_ms\": "
               + (idle ? "null" : std::to_string(0.5 + (i % 20) * 0.01)) + ", \"p99_ms\": "
               + (idle ? "null" : std::to_string(1.5 + (i % 45) * 0.03)) + "}";
  }
  out += "\"throughput\": [" + throughput + "],\n\"latency\": [" + latency + "],\n";
  auto event = [&](int seq, int64_t ago_ms, int node, const char* kind, const char* text) {
    return "{\"seq\": " + std::to_string(seq) + ", \"time_ms\": "
           + std::to_string(f.time_ms - ago_ms) + ", \"node\": " + std::to_string(node)
           + ", \"kind\": \"" + kind + "\", \"text\": \"" + text + "\"}";
  };
  out += "\"events\": [" + event(1, 170000, 2, "controller_elected", "node 2 is the controller")
         + ", " + event(2, 160000, 2, "broker_registered", "broker 3 registered")
         + ", " + event(3, 150000, 2, "leader_election", "orders-0: leader 2 -> 1 (epoch 3)")
         + ", " + event(4, 90000, 1, "rebalance", "g1: generation 5, 2 members")
         // Markup in a string must show as text, never become elements.
         + ", " + event(5, 60000, 3, "isr_shrink",
                        "orders-2: ISR [3,1,2] -> [3,1] <b id=injected>x</b>");
  if (down)
    out += ", " + event(6, 3000, 2, "broker_fenced", "broker 2 fenced: missed heartbeats")
           + ", " + event(7, 2000, 3, "controller_elected", "node 3 is the controller");
  out += "]}\n";
  return out;
}

const std::string broker_states =
  "[...document.querySelectorAll('[data-testid=broker]')]"
  ".map(r => r.dataset.id + ':' + r.dataset.state).join(',')";
const std::string under_replicated =
  "[...document.querySelectorAll('[data-testid=partition][data-under-replicated=true]')]"
  ".map(r => r.dataset.topic + '-' + r.dataset.partition).join(',')";
const std::string unavailable =
  "[...document.querySelectorAll('[data-testid=partition][data-unavailable=true]')]"
  ".map(r => r.dataset.topic + '-' + r.dataset.partition).join(',')";
const std::string summary =
  "document.querySelector('[data-testid=partition-summary]').textContent";
const std::string updated_ms =
  "document.querySelector('[data-testid=updated]').dataset.timeMs";
const std::string status = "document.querySelector('[data-testid=status]').dataset.state";
const std::string newest_event =
  "(e => e.dataset.kind + ': ' + e.cells[3].textContent)"
  "(document.querySelector('[data-testid=event]'))";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

TEST_CASE("the live view page shows the fixture's brokers, partitions and groups and follows "
          "a rewritten view without a reload",
          "[view]") {
  cafka::test::temp_dir dir;
  auto site = dir.path() / "site";
  std::filesystem::create_directories(site / "api");
  write_atomically(site / "index.html", std::string{cafka::http::view_page_html()});
  fixture f;
  f.time_ms = now_ms();
  write_atomically(site / "api" / "view", view_json(f));

  auto port = cafka::testing::free_port();
  background_process server{python,
                            {"-m", "http.server", "--bind", "127.0.0.1", "--directory",
                             site.string(), std::to_string(port)}};
  REQUIRE(eventually([&] { return accepts_connections(port); }, 20s, 50ms));

  page_driver page{dir, "http://127.0.0.1:" + std::to_string(port) + "/"};

  // The first view: three live brokers, node 2 the controller.
  CHECK(page.wait_text(broker_states, "1:alive,2:alive,3:alive") == "1:alive,2:alive,3:alive");
  CHECK(page.command("eval document.querySelector('[data-testid=broker][data-active-controller="
                     "true]').dataset.id")
        == "value \"2\"");
  CHECK(page.wait_text(updated_ms, std::to_string(f.time_ms)) == std::to_string(f.time_ms));
  CHECK(page.wait_text(status, "live") == "live");
  // orders-2 is under-replicated, flagged and drawn unlike a healthy row.
  CHECK(page.wait_text(under_replicated, "orders-2") == "orders-2");
  CHECK(page.wait_text(unavailable, "") == "");
  CHECK(page.wait_text(summary, "1 under-replicated, 0 unavailable")
        == "1 under-replicated, 0 unavailable");
  CHECK(page.command("eval (q => getComputedStyle(q('orders', 2).cells[1]).backgroundColor !== "
                     "getComputedStyle(q('orders', 0).cells[1]).backgroundColor)((t, p) => "
                     "document.querySelector(`[data-testid=partition][data-topic=${t}]"
                     "[data-partition='${p}']`))")
        == "value true");
  // The internal topic is there but collapsed until its toggle is pressed.
  const std::string internal_rows =
    "[...document.querySelectorAll('[data-testid=partition][data-internal=true]')]"
    ".map(r => r.dataset.topic + '-' + r.dataset.partition + (r.hidden ? ':hidden' : ':shown'))"
    ".join(',')";
  CHECK(page.wait_text(internal_rows, "__consumer_offsets-0:hidden,__consumer_offsets-1:hidden,"
                                      "__consumer_offsets-2:hidden")
        == "__consumer_offsets-0:hidden,__consumer_offsets-1:hidden,__consumer_offsets-2:hidden");
  CHECK(page.command("eval document.querySelector('[data-testid=toggle-internal]').click()")
        == "value null");
  CHECK(page.wait_text(internal_rows, "__consumer_offsets-0:shown,__consumer_offsets-1:shown,"
                                      "__consumer_offsets-2:shown")
        == "__consumer_offsets-0:shown,__consumer_offsets-1:shown,__consumer_offsets-2:shown");
  CHECK(page.command("eval document.querySelector('[data-testid=toggle-internal]').click()")
        == "value null");
  // The group's lag, in total and per partition (none committed on orders-2).
  const std::string group_lag =
    "(g => g.dataset.lag + ' ' + g.querySelector('[data-testid=group-lag]').textContent + ' ' + "
    "[...g.querySelectorAll('[data-testid=group-offset]')].map(o => o.dataset.lag).join(','))"
    "(document.querySelector('[data-testid=group][data-group=g1]'))";
  CHECK(page.wait_text(group_lag, "50 lag 50 50,0,-1") == "50 lag 50 50,0,-1");
  // Markup inside an event's text stays text.
  CHECK(page.wait_text(newest_event, "isr_shrink: orders-2: ISR [3,1,2] -> [3,1] <b id=injected>x</b>")
        == "isr_shrink: orders-2: ISR [3,1,2] -> [3,1] <b id=injected>x</b>");
  CHECK(page.command("eval document.getElementById('injected')") == "value null");

  // Broker 2 is fenced: the page polls and redraws by itself (the marker survives: no reload).
  CHECK(page.command("eval window.not_reloaded = 'yes'") == "value \"yes\"");
  f.time_ms += 5000;
  f.broker2_fenced = true;
  write_atomically(site / "api" / "view", view_json(f));
  CHECK(page.wait_text(broker_states, "1:alive,2:fenced,3:alive") == "1:alive,2:fenced,3:alive");
  CHECK(page.wait_text(updated_ms, std::to_string(f.time_ms)) == std::to_string(f.time_ms));
  CHECK(page.wait_text(under_replicated, "orders-0,orders-1,orders-2")
        == "orders-0,orders-1,orders-2");
  CHECK(page.wait_text(unavailable, "payments-0") == "payments-0");
  CHECK(page.wait_text(summary, "3 under-replicated, 1 unavailable")
        == "3 under-replicated, 1 unavailable");
  CHECK(page.wait_text(newest_event, "controller_elected: node 3 is the controller")
        == "controller_elected: node 3 is the controller");
  CHECK(page.command("eval document.querySelector('[data-testid=broker][data-active-controller="
                     "true]').dataset.id")
        == "value \"3\"");
  CHECK(page.command("eval window.not_reloaded") == "value \"yes\"");
  // Three brokers fit a 1366 px wide laptop screen without scrolling sideways.
  CHECK(page.command("eval document.documentElement.scrollWidth <= window.innerWidth")
        == "value true");

  auto artifacts = std::filesystem::path{CAFKA_BINARY_DIR} / "artifacts";
  std::filesystem::create_directories(artifacts);
  auto shot = (artifacts / "view_page.png").string();
  std::filesystem::remove(shot);
  CHECK(page.command("shot " + shot) == "saved " + shot);
  REQUIRE(std::filesystem::exists(shot));
  CHECK(std::filesystem::file_size(shot) > 10 * 1024);

  // A view whose refresh failed: an error indicator and the reason, the last good state kept.
  f.error = "metadata unreachable: no quorum";
  write_atomically(site / "api" / "view", view_json(f));
  CHECK(page.wait_text(status, "error") == "error");
  CHECK(page.wait_text("(b => b.hidden ? '' : b.textContent)(document.querySelector("
                       "'[data-testid=error]'))",
                       "The view could not be refreshed: metadata unreachable: no quorum "
                       "(showing the last good state)")
        == "The view could not be refreshed: metadata unreachable: no quorum (showing the last "
           "good state)");
  // No view at all (404): stale, with the last view still on the page.
  std::filesystem::remove(site / "api" / "view");
  CHECK(page.wait_text(status, "stale") == "stale");
  CHECK(page.wait_text("(b => !b.hidden && b.textContent.startsWith("
                       "'No fresh view: fetch failed: HTTP 404'))(document.querySelector("
                       "'[data-testid=stale]'))",
                       "true")
        == "true");
  CHECK(page.wait_text(broker_states, "1:alive,2:fenced,3:alive") == "1:alive,2:fenced,3:alive");
}
