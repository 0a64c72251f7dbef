// `cafka node --config F --id N`: runs one node in the foreground until SIGTERM/SIGINT.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/kafka/kafka_listener.hpp"
#include "actors/node/node_supervisor.hpp"
#include "actors/node/view_collector.hpp"
#include "app/app_common.hpp"
#include "app/node_http.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/open_files.hpp"
#include "runtime/config/listener_config.hpp"
#include "runtime/kafka/quota_manager.hpp"
#include "runtime/metrics/process_metrics.hpp"
#include "runtime/storage/file_budget.hpp"
#include "runtime/tls/kafka_tls.hpp"

namespace cafka::app {

namespace {

// The TLS contexts of the node's SSL listeners, by listener name.
using kafka_tls_contexts =
  std::map<std::string, std::shared_ptr<const tls::kafka_server_context>>;

// Loads the node's [tls] credentials for each SSL listener. Errors name the listener or file.
caf::expected<kafka_tls_contexts> make_kafka_tls(const cluster_config& cfg,
                                                 const node_config& me) {
  kafka_tls_contexts out;
  for (auto& l : me.listeners) {
    if (!uses_tls(l))
      continue;
    auto ctx = tls::make_kafka_server_context(cfg.tls, me.id,
                                              to_string(std::vector<listener_endpoint>{l}));
    if (!ctx)
      return ctx.error();
    out.emplace(l.name, std::move(*ctx));
  }
  return out;
}

// Starts the node's Kafka listeners, whose sessions call the node's broker.
// `access`: the node's access cache, which its broker publishes to; `m`: the node's metrics.
caf::expected<std::vector<caf::actor>>
start_kafka_listeners(caf::actor_system& sys, const node_actor& sup, const cluster_config& cfg,
                      const node_config& me, const kafka_tls_contexts& tls,
                      std::shared_ptr<access_cache> access,
                      std::shared_ptr<metrics::node_metrics> m) {
  caf::scoped_actor self{sys};
  caf::expected<broker_actor> broker = make_error(errc::broker_not_available, "no answer");
  self->request(sup, std::chrono::seconds{10}, broker_atom::value)
    .receive([&](broker_actor& b) { broker = std::move(b); },
             [&](caf::error& err) { broker = std::move(err); });
  if (!broker)
    return make_error(errc::broker_not_available,
                      "cannot serve Kafka: " + describe(broker.error()));
  auto shared = std::make_shared<const cluster_config>(cfg);
  auto& limits = cfg.limits;
  auto max_connections = connections_within(limits.max_connections, raise_open_file_limit());
  if (max_connections < limits.max_connections)
    spdlog::warn("at most {} Kafka connections, not max-connections={}: the open-file "
                 "limit leaves no room for more (raise `ulimit -n`)",
                 max_connections, limits.max_connections);
  auto budget = std::make_shared<connection_budget>(max_connections,
                                                    limits.max_connections_per_ip,
                                                    limits.queued_max_request_bytes,
                                                    limits.socket_request_max_bytes);
  // One manager for all listeners: a client's bytes count the same on each of them.
  auto quotas = std::make_shared<kafka::quota_manager>(cfg.quotas);
  // One max-parked-fetches budget for every session of the node.
  auto parked = std::make_shared<parked_fetch_budget>(limits.max_parked_fetches);
  std::vector<caf::actor> out;
  for (auto& l : me.listeners) {
    kafka_session_context ctx{*broker, me.id, l.name, limits.socket_request_max_bytes, shared,
                              access, quotas, parked, budget};
    ctx.metrics = m;
    auto i = tls.find(l.name);
    auto a = start_kafka_listener(sys, l, std::move(ctx),
                                  i != tls.end() ? i->second : nullptr, budget);
    if (!a) {
      for (auto& x : out)
        self->send_exit(x, caf::exit_reason::user_shutdown);
      return a.error();
    }
    spdlog::info("serving Kafka on {}", to_string(std::vector<listener_endpoint>{l}));
    out.push_back(std::move(*a));
  }
  return out;
}

// Why this node must not start without TLS (its host is reachable from other machines and
// the config neither has [tls] nor allows plaintext), or nullopt.
std::optional<std::string> plaintext_refusal(const cluster_config& cfg, const node_config& me) {
  if (cfg.tls.enabled || cfg.tls.allow_plaintext || is_loopback_host(me.host))
    return std::nullopt;
  return "node " + to_string(me.id) + " listens on " + me.host + ", which other machines "
         "can reach, and " + cfg.path + " has no [tls] section: run `cafka tls init` (or "
         "set allow-plaintext=true in [cluster] to run without TLS)";
}

struct node_options {
  std::string config = "cluster.conf";
  int32_t id = -1;
};

// Waits up to `timeout` (0: only looks) for the supervisor's on_fatal, SIGUSR1, which every
// thread blocks: the node stopped itself after a role died. Returns whether it came.
bool await_fatal_stop(std::chrono::seconds timeout) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  auto ts = timespec{static_cast<time_t>(timeout.count()), 0};
  int sig = -1;
  do
    sig = sigtimedwait(&usr1, nullptr, &ts);
  while (sig < 0 && errno == EINTR);
  return sig == SIGUSR1;
}

int run_node(const node_options& o) {
  auto cfg = load_cluster_config(o.config);
  if (!cfg)
    return fail(describe(cfg.error()));
  auto me = cfg->find(node_id{o.id});
  if (me == nullptr)
    return fail("node id " + std::to_string(o.id) + " is not in " + o.config);
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [node " + std::to_string(o.id) + "] [%l] %v");
  if (auto why = plaintext_refusal(*cfg, *me))
    return fail(*why);
  // CAF's settings, TLS files checked, before anything touches the data directory.
  caf::actor_system_config ccfg;
  prepare_system_config(ccfg, o.config);
  if (auto err = configure_cluster_tls(ccfg, *cfg, me->id))
    return fail(describe(err));
  auto kafka_tls = make_kafka_tls(*cfg, *me);
  if (!kafka_tls)
    return fail(describe(kafka_tls.error()));
  auto dir = cfg->node_dir(me->id);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return fail("cannot create data directory " + dir + ": " + ec.message());
  // One process per node directory.
  auto lock_path = cfg->node_lock(me->id);
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
    return fail("another cafka node already uses " + dir);
  // Signals are taken by sigwait on this thread; CAF's threads inherit the blocked mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  int rc = 0;
  {
    // Nodes that share a host share its cores: unless the config says otherwise, each gets
    // its share of scheduler threads instead of CAF's one per core, which made the nodes of
    // a local cluster wake each other's threads more than they worked.
    if (caf::get_if(&ccfg.content, "scheduler.max-threads") == nullptr) {
      size_t here = 0;
      for (auto& n : cfg->nodes)
        if (n.host == me->host)
          ++here;
      auto cores = std::max(1u, std::thread::hardware_concurrency());
      auto threads = std::max<size_t>(1, cores / std::max<size_t>(1, here));
      ccfg.set("scheduler.max-threads", threads);
      spdlog::info("{} scheduler thread(s): {} core(s) shared by {} node(s) on {}", threads,
                   cores, here, me->host);
    }
    // Work sharing unless the config says otherwise: CAF's work stealing polls for work with
    // 50 us sleeps after every message, which at rest cost a node with thousands of
    // replicas a third of a core.
    if (caf::get_if(&ccfg.content, "scheduler.policy") == nullptr)
      ccfg.set("scheduler.policy", caf::atom("sharing"));
    auto start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    // Storage files share what the open-file limit leaves after Kafka connections: at the
    // cap, idle log and index files give up their descriptors (storage/file_budget.hpp).
    auto open_files = raise_open_file_limit();
    auto storage_files = storage_files_within(
      open_files, connections_within(cfg->limits.max_connections, open_files));
    storage::file_budget::process()->set_cap(static_cast<size_t>(storage_files));
    if (storage_files != INT64_MAX)
      spdlog::info("storage files hold at most {} descriptors (open-file limit {})",
                   storage_files, open_files);
    caf::actor_system sys{ccfg};
    // The node's credentials and ACLs: its broker publishes them, its Kafka sessions read them.
    auto access = std::make_shared<access_cache>();
    auto metrics = std::make_shared<metrics::node_metrics>(cfg->metrics);
    auto cores = size_t{std::max(1u, std::thread::hardware_concurrency())};
    auto scheduler_threads = caf::get_or(ccfg, "scheduler.max-threads", cores);
    if (auto err = metrics::add_process_metrics(metrics->registry, scheduler_threads))
      spdlog::error("process metrics: {}", describe(err));
    auto sup = spawn_node_supervisor(sys, *cfg, me->id, [] { ::kill(::getpid(), SIGUSR1); },
                                     nullptr, access, metrics);
    caf::scoped_actor self{sys};
    // Peers and clients reach this node through its supervisor: they ask it for the broker
    // and the controller.
    bool serving = false;
    auto port = cfg->tls.enabled
                  ? caf::openssl::publish(sup, me->port, me->host.c_str(), true)
                  : sys.middleman().publish(sup, me->port, me->host.c_str(), true);
    if (!port)
      spdlog::critical("cannot listen on {}: {}", me->address(), sys.render(port.error()));
    else
      serving = true;
    std::vector<caf::actor> listeners;
    if (serving && !me->listeners.empty()) {
      auto kafka = start_kafka_listeners(sys, sup, *cfg, *me, *kafka_tls, access, metrics);
      if (!kafka) {
        spdlog::critical("{}", context_of(kafka.error()));
        serving = false;
      } else {
        listeners = std::move(*kafka);
      }
    }
    // GET /metrics and the live view; the collector's thread asks the cluster for the view.
    std::unique_ptr<view_collector> view;
    std::unique_ptr<http::http_server> web;
    if (serving && me->metrics_port != 0) {
      view = std::make_unique<view_collector>(sys, *cfg, me->id, sup, metrics, start_ms);
      auto srv = http::http_server::start(me->host, me->metrics_port,
                                          node_routes(*metrics, *view));
      if (!srv) {
        spdlog::critical("{}", context_of(srv.error()));
        serving = false;
      } else {
        web = std::move(*srv);
        view->start();
        spdlog::info("metrics and the live view on http://{}:{}/", me->host, me->metrics_port);
      }
    }
    if (serving) {
      spdlog::info("cafka node {} serving on {} ({}; data in {})", o.id, me->address(),
                   cfg->tls.enabled ? "mutual TLS" : "plaintext", dir);
      int sig = 0;
      sigwait(&sigs, &sig);
      if (sig == SIGUSR1) {
        rc = 1;
      } else {
        spdlog::info("received {}; stopping (flushing every partition)", strsignal(sig));
      }
    } else {
      rc = 1;
    }
    // The HTTP side first (its routes read the view), then Kafka clients: no new requests
    // reach a broker that is stopping.
    web.reset();
    view.reset();
    for (auto& l : listeners)
      self->send_exit(l, caf::exit_reason::user_shutdown);
    if (rc == 0 || !serving) {
      self->request(sup, std::chrono::seconds{90}, stop_atom::value)
        .receive([](caf::ok_atom) {},
                 [&](caf::error& err) {
                   rc = 1;
                   if (errc_of(err) == errc::shutting_down) {
                     // A role died before the signal came: the supervisor finishes that
                     // stop first (a role stop's timeout, and then on_fatal).
                     spdlog::info("{}; waiting for that stop to end", context_of(err));
                     if (!await_fatal_stop(node_role_stop_timeout + std::chrono::seconds{15}))
                       spdlog::error("the node's failure stop did not end");
                   } else if (err == caf::sec::request_receiver_down && await_fatal_stop({})) {
                     // The supervisor had ended its failure stop before the signal came.
                   } else {
                     spdlog::error("stop failed: {}", describe(err));
                   }
                 });
    }
    self->send_exit(sup, caf::exit_reason::user_shutdown);
  }
  spdlog::info("node {} stopped", o.id);
  ::close(lock_fd);
  return rc;
}

} // namespace

void add_node_command(CLI::App& app, command_fn& run) {
  auto opts = std::make_shared<node_options>();
  auto cmd = app.add_subcommand("node", "run one node of the cluster in the foreground");
  cmd->add_option("--config", opts->config, "cluster.conf to read")->capture_default_str();
  cmd->add_option("--id", opts->id, "this node's id in the config")->required();
  cmd->callback([opts, &run] { run = [opts] { return run_node(*opts); }; });
}

} // namespace cafka::app
