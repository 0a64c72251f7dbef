// The `cafka` binary: one CLI for nodes, clusters, topics, produce, consume and benchmarks.
#include <iostream>

#include "runtime/app/app_common.hpp"

int main(int argc, char** argv) {
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "cafka: " << e.what() << " (see cafka --help)\n";
    return 2;
  }
  return run ? run() : 2;
}
