// Shared pieces of the `cafka` subcommands: option structs, config/bootstrap resolution,
// the client-side actor system, and the one-line error convention. Main thread only.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/node/blocking_connect.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka::app {

// The command chosen on the command line; returns the process exit code.
using command_fn = std::function<int()>;

struct connection_options {
  std::string config = "cluster.conf";
  bool config_given = false;
  std::string bootstrap;  // host:port[,host:port...]; empty: every broker of the config
};

// A check for count, offset and time options: "--offset: must not be negative, got -3".
extern const CLI::Validator non_negative;

// Adds --config and --bootstrap-server to a subcommand.
void add_connection_options(CLI::App& cmd, connection_options& opts);

// Prints "cafka: <what>" to stderr; returns the exit code to use (1).
int fail(const std::string& what);
// The same line into `err` (a watched frame renders its errors into the frame).
int fail(std::ostream& err, const std::string& what);

// The bootstrap list (Kafka's bootstrap.servers form) a client tries in turn: the
// --bootstrap-server list, else every broker of cluster.conf; or explains on stderr why
// there is none (nullopt).
std::optional<std::string> resolve_bootstrap(const connection_options& o);


// Fills CAF's middleman/scheduler settings from cluster.conf's file (if any) plus our
// defaults, registers cafka's types and loads the middleman.
void prepare_system_config(caf::actor_system_config& cfg, const std::string& conf_path);

// An actor system for client commands (no published port).
class client_system {
public:
  caf::actor_system& sys() { return *sys_; }

private:
  friend std::unique_ptr<client_system> open_client_system(const std::string& conf_path);
  client_system() = default;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
};

// A client actor system set up from the config at conf_path (if that file exists): with the
// client certificate of its [tls] section when it has one. Prints why not and returns null
// when the config or the TLS files are bad.
std::unique_ptr<client_system> open_client_system(const std::string& conf_path);

// Turns on mutual TLS in cfg with the node's (node_id) or, for no_node, the clients' files of
// the config's [tls] section; checks that the certificate names that node (or a client).
// Nothing to do without a [tls] section.
caf::error configure_cluster_tls(caf::actor_system_config& cfg, const cluster_config& cluster,
                                 node_id id);

// Connects to the bootstrap broker of `o` or prints why not (nullopt).
std::optional<broker_actor> connect_bootstrap(caf::actor_system& sys,
                                              const connection_options& o);

// Runs f(self, broker) against the bootstrap broker of `o` in a client actor system; returns
// f's exit code, or 1 after printing why there is no broker.
template <class F>
int with_bootstrap_broker(const connection_options& o, F f);

// Creates the topic through the bootstrap broker unless it exists; returns the exit code
// (1 after printing why it failed).
int ensure_topic(caf::actor_system& sys, const connection_options& o,
                 const create_topic_request& req);

// "500ms", "5s", "2m", or plain milliseconds; -1 if malformed or negative.
int64_t parse_duration_ms(const std::string& s);

void add_node_command(CLI::App& app, command_fn& run);
void add_cluster_command(CLI::App& app, command_fn& run);
void add_topics_command(CLI::App& app, command_fn& run);
void add_produce_command(CLI::App& app, command_fn& run);
void add_consume_command(CLI::App& app, command_fn& run);
void add_groups_command(CLI::App& app, command_fn& run);
void add_chaos_command(CLI::App& app, command_fn& run);
// `cafka chaos run` (cmd_chaos_run.cpp), added by add_chaos_command.
void add_chaos_run_command(CLI::App& chaos, command_fn& run);
// `cafka chaos sim` (cmd_chaos_sim.cpp), added by add_chaos_command.
void add_chaos_sim_command(CLI::App& chaos, command_fn& run);
void add_bench_command(CLI::App& app, command_fn& run);
// `cafka bench rebalance` (cmd_bench_rebalance.cpp), added by add_bench_command.
void add_bench_rebalance_command(CLI::App& bench, command_fn& run);
// `cafka bench e2e` (cmd_bench_e2e.cpp), added by add_bench_command.
void add_bench_e2e_command(CLI::App& bench, command_fn& run);
// `cafka bench partitions` (cmd_bench_partitions.cpp), added by add_bench_command.
void add_bench_partitions_command(CLI::App& bench, command_fn& run);
void add_tls_command(CLI::App& app, command_fn& run);
void add_users_command(CLI::App& app, command_fn& run);
void add_acls_command(CLI::App& app, command_fn& run);
// `cafka partitions reassign` and `cafka brokers decommission` (cmd_partitions.cpp).
void add_partitions_command(CLI::App& app, command_fn& run);
void add_brokers_command(CLI::App& app, command_fn& run);

template <class F>
int with_bootstrap_broker(const connection_options& o, F f) {
  auto cs = open_client_system(o.config);
  if (!cs)
    return 1;
  auto b = connect_bootstrap(cs->sys(), o);
  if (!b)
    return 1;
  caf::scoped_actor self{cs->sys()};
  return f(self, *b);
}

} // namespace cafka::app
