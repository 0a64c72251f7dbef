// The `cafka` binary: one CLI for nodes, clusters, topics, produce, consume and benchmarks.
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/app_common.hpp"

namespace {

// "topics bogus" when the word where a (sub)command belongs names none, else empty.
std::string unknown_command(const CLI::App& app) {
  std::string path;
  const CLI::App* at = &app;
  for (auto subs = at->get_subcommands(); !subs.empty(); subs = at->get_subcommands()) {
    at = subs.front();
    path += at->get_name() + " ";
  }
  auto commands = at->get_subcommands([](const CLI::App*) { return true; });
  auto rest = at->remaining();
  if (commands.empty() || rest.empty() || rest.front().empty() || rest.front()[0] == '-')
    return {};
  return path + rest.front();
}

} // namespace

int main(int argc, char** argv) {
  // Log lines go to stderr: stdout carries the records of `consume` and other command output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("cafka"));
  CLI::App app{"cafka: a Kafka-style streaming log built on the C++ Actor Framework"};
  app.require_subcommand(1);
  cafka::app::command_fn run;
  cafka::app::add_node_command(app, run);
  cafka::app::add_cluster_command(app, run);
  cafka::app::add_topics_command(app, run);
  cafka::app::add_produce_command(app, run);
  cafka::app::add_consume_command(app, run);
  cafka::app::add_groups_command(app, run);
  cafka::app::add_chaos_command(app, run);
  cafka::app::add_bench_command(app, run);
  cafka::app::add_tls_command(app, run);
  cafka::app::add_users_command(app, run);
  cafka::app::add_acls_command(app, run);
  cafka::app::add_partitions_command(app, run);
  cafka::app::add_brokers_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (auto cmd = unknown_command(app); !cmd.empty())
      std::cerr << "cafka: unknown command '" << cmd << "' (see cafka --help)\n";
    else
      std::cerr << "cafka: " << e.what() << " (see cafka --help)\n";
    return 2;
  }
  return run ? run() : 2;
}
