// `cafka bench partitions`: what many partitions cost a cluster (issue 18). Creates one topic of
// N partitions, times until every replica is open, reads each node's memory, open files and
// idle CPU from its GET /metrics, then produces to every partition at once. Main thread only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "cafka/producer.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/http/http_get.hpp"

namespace cafka::app {

namespace {

using steady = std::chrono::steady_clock;

struct partitions_options {
  connection_options conn;
  std::string topic = "bench-partitions";
  int32_t partitions = 1000;
  int32_t replication_factor = -1;  // -1: the cluster's default.replication.factor
  int64_t idle_s = 60;  // several follower fetch waits (5 s), retention and view refreshes
  int64_t records_per_partition = 1;
  int32_t record_size = 100;
  bool idempotence = false;
  bool remove = false;  // --delete
  int64_t timeout_s = 300;
};

// One scrape of a node's process metrics; ok false (and `error` set) when /metrics did not
// answer. `replicas`/`leaders`: this topic's cafka_partition_* series; `dropped`: series the
// node's partition-series-max refused so far; `elections`: leader changes the node applied as
// the active controller (none for a topic's creation: they count churn, e.g. after a fence).
struct node_sample {
  bool ok = false;
  std::string error;
  double rss = -1, fds = -1, cpu = -1, dropped = 0, elections = 0;
  int64_t replicas = 0, leaders = 0;
  bool has_partition_series = false;  // the binary exports cafka_partition_* at all
};

struct node_report {
  const node_config* node = nullptr;
  int64_t assigned = 0;  // replicas the metadata places on this node
  int64_t leading = 0;   // partitions whose leader the metadata makes it
  // ready and idle_end bracket the idle window; next_scrape follows idle_end at once, so
  // that the CPU of one scrape (rendering every series) can be left out of the window.
  node_sample before, ready, idle_end, next_scrape, produced;

  // Percent of one core the node used idle over `secs`, less one scrape; -1 if unknown.
  double idle_cpu(double secs) const {
    if (!ready.ok || !idle_end.ok || !next_scrape.ok || ready.cpu < 0 || secs <= 0)
      return -1;
    return std::max(0.0, 100.0 * (idle_end.cpu - ready.cpu - scrape_cpu()) / secs);
  }
  // CPU seconds one GET /metrics cost the node.
  double scrape_cpu() const { return next_scrape.cpu - idle_end.cpu; }
};

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

// The value of a series line "name value" or "name{labels} value" (Prometheus text).
double line_value(const std::string& text, size_t line_start, size_t line_end) {
  auto space = text.rfind(' ', line_end);
  if (space == std::string::npos || space < line_start)
    return 0;
  return std::strtod(text.c_str() + space + 1, nullptr);
}

// Reads the process families, and this topic's replicas and leaders, out of one /metrics page.
node_sample parse_sample(const std::string& text, const std::string& topic) {
  node_sample s;
  s.ok = true;
  auto topic_label = "topic=\"" + topic + "\"";
  auto starts = [&](size_t at, const char* name) {
    auto n = std::char_traits<char>::length(name);
    return text.compare(at, n, name) == 0 && at + n < text.size()
           && (text[at + n] == ' ' || text[at + n] == '{');
  };
  for (size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    if (text.compare(at, 2, "# ") == 0) {
      if (text.compare(at, 30, "# HELP cafka_partition_leader ") == 0)
        s.has_partition_series = true;
    } else if (starts(at, "cafka_process_resident_memory_bytes")) {
      s.rss = line_value(text, at, end);
    } else if (starts(at, "cafka_process_open_fds")) {
      s.fds = line_value(text, at, end);
    } else if (starts(at, "cafka_process_cpu_seconds_total")) {
      s.cpu = line_value(text, at, end);
    } else if (starts(at, "cafka_controller_leader_elections_total")) {
      s.elections = line_value(text, at, end);
    } else if (starts(at, "cafka_metrics_dropped_series_total")) {
      s.dropped += line_value(text, at, end);
    } else if (starts(at, "cafka_partition_leader")) {
      // Within this line only: a page without the topic must not be searched to its end
      // once per line.
      if (std::string_view{text}.substr(at, end - at).find(topic_label)
          != std::string_view::npos) {
        ++s.replicas;
        if (line_value(text, at, end) > 0)
          ++s.leaders;
      }
    }
    at = end + 1;
  }
  return s;
}

node_sample scrape(const node_config& n, const std::string& topic) {
  if (n.metrics_port == 0) {
    node_sample s;
    s.error = "metrics-port is 0 (no HTTP)";
    return s;
  }
  auto body = http::http_get(n.host, n.metrics_port, "/metrics", std::chrono::seconds{20});
  if (!body) {
    node_sample s;
    s.error = describe(body.error());
    return s;
  }
  return parse_sample(*body, topic);
}

void scrape_all(std::vector<node_report>& nodes, node_sample node_report::*which,
                const std::string& topic) {
  for (auto& r : nodes)
    r.*which = scrape(*r.node, topic);
}

// Empty when every node has opened the replicas the metadata `t` places on it and leads the
// partitions it gives it, judged by the node's /metrics; else what is missing. A node without
// partition series is judged by the metadata alone; one whose partition-series-max refused
// some (each refused partition drops its 10 series) only by its open replicas.
std::string nodes_ready(std::vector<node_report>& nodes, const topic_metadata& t,
                        const std::string& topic) {
  for (auto& r : nodes) {
    r.assigned = 0;
    r.leading = 0;
    for (auto& p : t.partitions) {
      r.assigned += std::count(p.replicas.begin(), p.replicas.end(), r.node->id);
      r.leading += p.leader == r.node->id ? 1 : 0;
    }
  }
  std::string missing;
  for (auto& r : nodes) {
    auto s = scrape(*r.node, topic);
    if (!s.ok || !s.has_partition_series)
      continue;
    auto refused = static_cast<int64_t>((s.dropped - r.before.dropped) / 10);
    if (s.replicas + refused < r.assigned || (refused == 0 && s.leaders != r.leading))
      missing += "; node " + to_string(r.node->id) + " has opened "
                 + std::to_string(s.replicas) + " of " + std::to_string(r.assigned)
                 + " replicas and leads " + std::to_string(s.leaders) + " of "
                 + std::to_string(r.leading);
  }
  return missing;
}

// The topic's metadata, or nullopt after printing why not.
std::optional<topic_metadata> topic_of(caf::scoped_actor& self, const broker_actor& b,
                                       const std::string& topic) {
  std::optional<topic_metadata> out;
  self->request(b, std::chrono::seconds{30}, metadata_atom::value, metadata_request{{topic}})
    .receive(
      [&](cluster_metadata& md) {
        if (auto t = md.find_topic(topic))
          out = *t;
      },
      [&](caf::error& err) { fail("metadata: " + describe(err)); });
  return out;
}

// Empty when every partition of t has a leader and a full ISR; else how many do not.
std::string unled(const topic_metadata& t) {
  size_t leaderless = 0, short_isr = 0;
  for (auto& p : t.partitions) {
    leaderless += p.leader == no_node ? 1 : 0;
    short_isr += p.isr.size() < p.replicas.size() ? 1 : 0;
  }
  if (leaderless == 0 && short_isr == 0)
    return {};
  return "; of " + std::to_string(t.partitions.size()) + " partitions "
         + std::to_string(leaderless) + " have no leader, " + std::to_string(short_isr)
         + " a short ISR (metadata)";
}

std::string mib(double bytes) {
  if (bytes < 0)
    return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / (1 << 20));
  return buf;
}

std::string count_text(double x) {
  return x < 0 ? "n/a" : std::to_string(static_cast<int64_t>(x));
}

void print_node(const node_report& r, double idle_secs) {
  auto& n = *r.node;
  std::printf("node %s (%s, http %s:%u):\n", to_string(n.id).c_str(), n.address().c_str(),
              n.host.c_str(), static_cast<unsigned>(n.metrics_port));
  if (!r.ready.ok) {
    std::printf("  metrics       n/a (%s)\n", r.ready.error.c_str());
    return;
  }
  auto shown = [&](int64_t x) {
    return r.ready.has_partition_series ? std::to_string(x) : std::string{"n/a"};
  };
  std::printf("  replicas      %lld assigned, %s open; leads %s of the %lld it is given\n",
              static_cast<long long>(r.assigned), shown(r.ready.replicas).c_str(),
              shown(r.ready.leaders).c_str(), static_cast<long long>(r.leading));
  std::printf("  resident      %s before, %s ready, %s after produce",
              mib(r.before.rss).c_str(), mib(r.ready.rss).c_str(),
              mib(r.produced.ok ? r.produced.rss : -1).c_str());
  if (r.assigned > 0 && r.before.rss >= 0)
    std::printf(" (%.1f KiB per replica)", (r.ready.rss - r.before.rss) / 1024.0
                                              / static_cast<double>(r.assigned));
  std::printf("\n  open files    %s before, %s ready\n", count_text(r.before.fds).c_str(),
              count_text(r.ready.fds).c_str());
  if (auto cpu = r.idle_cpu(idle_secs); cpu >= 0)
    std::printf("  idle CPU      %.2f%% of one core over %.1f s (less one /metrics scrape: "
                "%.0f ms)\n",
                cpu, idle_secs, r.scrape_cpu() * 1000);
  else
    std::printf("  idle CPU      n/a\n");
}

struct produce_outcome {
  int64_t acked = 0;
  int64_t failed = 0;
  std::string first_error;
  double secs = 0;
};

// Sends records_per_partition records to every partition, each with its partition set.
caf::expected<produce_outcome> produce_all(caf::actor_system& sys, const std::string& bootstrap,
                                           const partitions_options& o, int32_t partitions) {
  producer_config pc;
  pc.bootstrap = bootstrap;
  pc.acks = -1;
  pc.enable_idempotence = o.idempotence;
  pc.buffer_memory = 256ll << 20;
  if (auto err = validate(pc))
    return err;
  produce_outcome out;
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  std::mutex mtx;
  std::string value(static_cast<size_t>(o.record_size), 'x');
  auto t0 = steady::now();
  {
    producer prod{sys, pc};
    for (int64_t i = 0; i < o.records_per_partition; ++i) {
      for (int32_t p = 0; p < partitions; ++p) {
        producer_record r;
        r.topic = o.topic;
        r.value = value;
        r.partition = partition_id{p};
        auto cb = [&](const delivery_report& rep) {
          if (!rep.error) {
            ++acked;
            return;
          }
          if (failed++ == 0) {
            std::lock_guard<std::mutex> guard{mtx};
            out.first_error = to_string(rep.tp) + ": " + describe(rep.error);
          }
        };
        if (auto err = prod.send(r, cb))
          return err;
      }
    }
    if (auto err = prod.flush(std::chrono::seconds{o.timeout_s}))
      return make_error(errc_of(err), "flush: " + describe(err));
  }
  out.secs = seconds_since(t0);
  out.acked = acked.load();
  out.failed = failed.load();
  return out;
}

int bench_partitions(const partitions_options& o) {
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  // The nodes to scrape come from cluster.conf; with only --bootstrap-server there are none.
  auto cfg = load_cluster_config(o.conn.config);
  if (!cfg)
    std::printf("no node metrics: %s\n", describe(cfg.error()).c_str());
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  auto b = connect_bootstrap(cs->sys(), o.conn);
  if (!b)
    return 1;
  caf::scoped_actor self{cs->sys()};
  std::vector<node_report> nodes;
  if (cfg)
    for (auto& n : cfg->nodes) {
      node_report r;
      r.node = &n;
      nodes.push_back(r);
    }
  scrape_all(nodes, &node_report::before, o.topic);
  auto deadline = steady::now() + std::chrono::seconds{o.timeout_s};
  auto t0 = steady::now();
  int rc = 0;
  self->request(*b, std::chrono::seconds{o.timeout_s}, create_topic_atom::value,
                create_topic_request{o.topic, o.partitions, o.replication_factor})
    .receive([](topic_metadata&) {},
             [&](caf::error& err) { rc = fail("create topic: " + describe(err)); });
  if (rc != 0) {
    // A timeout may mean the nodes died of the creation (e.g. "Too many open files").
    for (auto& r : nodes)
      if (auto s = scrape(*r.node, o.topic); !s.ok)
        fail("node " + to_string(r.node->id) + " /metrics: " + s.error);
    return rc;
  }
  auto created = seconds_since(t0);
  // Ready once the metadata leads every partition with a full ISR and the nodes agree.
  std::optional<topic_metadata> t;
  double led = -1;
  for (;;) {
    std::string missing = "; no metadata of the topic";
    if ((t = topic_of(self, *b, o.topic)) && (missing = unled(*t)).empty()) {
      if (led < 0)
        led = seconds_since(t0);
      if ((missing = nodes_ready(nodes, *t, o.topic)).empty())
        break;
    }
    if (steady::now() > deadline)
      return fail("request_timed_out: topic '" + o.topic + "' not ready after "
                  + std::to_string(o.timeout_s) + " s" + missing);
    std::this_thread::sleep_for(std::chrono::seconds{1});
  }
  int64_t replicas = 0;
  for (auto& r : nodes)
    replicas += r.assigned;
  if (nodes.empty())
    for (auto& p : t->partitions)
      replicas += static_cast<int64_t>(p.replicas.size());
  auto open = seconds_since(t0);
  std::printf("topic %s: %zu partitions, %lld replicas\n", o.topic.c_str(),
              t->partitions.size(), static_cast<long long>(replicas));
  std::printf("created (controller answered) in %.2f s; leader and full ISR everywhere "
              "(metadata) after %.2f s; replicas open and leading on every node (/metrics) after "
              "%.2f s\n",
              created, led, open);
  scrape_all(nodes, &node_report::ready, o.topic);
  auto idle_t0 = steady::now();
  std::this_thread::sleep_for(std::chrono::seconds{o.idle_s});
  scrape_all(nodes, &node_report::idle_end, o.topic);
  auto idle_secs = seconds_since(idle_t0);
  scrape_all(nodes, &node_report::next_scrape, o.topic);
  auto partitions = static_cast<int32_t>(t->partitions.size());
  auto total = o.records_per_partition * partitions;
  auto out = produce_all(cs->sys(), *hp, o, partitions);
  if (!out)
    return fail("produce: " + describe(out.error()));
  scrape_all(nodes, &node_report::produced, o.topic);
  std::printf("produced %lld records to %d partitions (acks=all%s): %lld acknowledged, %lld "
              "failed, in %.2f s\n",
              static_cast<long long>(total), partitions, o.idempotence ? ", idempotent" : "",
              static_cast<long long>(out->acked), static_cast<long long>(out->failed),
              out->secs);
  if (out->failed > 0)
    rc = fail("produce: " + std::to_string(out->failed) + " failed, first " + out->first_error);
  double max_rss = -1, max_cpu = -1, elections = 0;
  for (auto& r : nodes) {
    if (r.produced.ok && r.before.ok)
      elections += r.produced.elections - r.before.elections;
    print_node(r, idle_secs);
    if (r.ready.ok)
      max_rss = std::max(max_rss, r.ready.rss);
    max_cpu = std::max(max_cpu, r.idle_cpu(idle_secs));
  }
  std::printf("leader elections from creation to the end of the produce (all nodes' "
              "cafka_controller_leader_elections_total): %.0f\n",
              elections);
  char cpu[32] = "n/a";
  if (max_cpu >= 0)
    std::snprintf(cpu, sizeof(cpu), "%.2f%%", max_cpu);
  // One line for scripts (bench/matrix.sh).
  std::printf("partitions summary: %d partitions, %lld replicas, ready in %.2f s, max RSS %s, "
              "max idle CPU %s, produced %lld/%lld in %.2f s\n",
              partitions, static_cast<long long>(replicas), open, mib(max_rss).c_str(), cpu,
              static_cast<long long>(out->acked), static_cast<long long>(total), out->secs);
  if (o.remove) {
    auto d0 = steady::now();
    self->request(*b, std::chrono::seconds{o.timeout_s}, delete_topic_atom::value,
                  delete_topic_request{o.topic})
      .receive([&](caf::ok_atom) { std::printf("deleted in %.2f s\n", seconds_since(d0)); },
               [&](caf::error& err) { rc = fail("delete topic: " + describe(err)); });
  }
  return rc;
}

} // namespace

void add_bench_partitions_command(CLI::App& bench, command_fn& run) {
  auto o = std::make_shared<partitions_options>();
  auto cmd = bench.add_subcommand(
    "partitions", "create N partitions: time to ready, memory, idle CPU, produce to all");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("--topic", o->topic, "topic to create (must not exist)")
    ->capture_default_str();
  cmd->add_option("--partitions", o->partitions, "partitions of the topic")
    ->capture_default_str()
    ->check(CLI::Range(1, 100000));
  cmd->add_option("--replication-factor", o->replication_factor,
                  "replication factor (default: the cluster's)")
    ->check(CLI::Range(1, 100));
  cmd->add_option("--idle-s", o->idle_s, "seconds of idle between the two CPU readings")
    ->capture_default_str()
    ->check(CLI::Range(int64_t{1}, int64_t{3600}));
  cmd->add_option("--records-per-partition", o->records_per_partition,
                  "records produced to each partition")
    ->capture_default_str()
    ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cmd->add_option("--record-size", o->record_size, "value bytes per record")
    ->capture_default_str()
    ->check(CLI::Range(0, 1 << 20));
  cmd->add_flag("--idempotence", o->idempotence, "idempotent producer (enable.idempotence)");
  cmd->add_flag("--delete", o->remove, "delete the topic at the end");
  cmd->add_option("--timeout-s", o->timeout_s, "deadline for creation, readiness and produce")
    ->capture_default_str()
    ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  cmd->callback([o, &run] { run = [o] { return bench_partitions(*o); }; });
}

} // namespace cafka::app
