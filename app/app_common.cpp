#include "app/app_common.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/broker/broker_interface.hpp"
#include "cafka/admin.hpp"
#include "cafka/client_system.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/tls/basp_filter.hpp"
#include "runtime/tls/openssl_shim.hpp"
#include "runtime/tls/tls_credentials.hpp"

namespace cafka::app {

const CLI::Validator non_negative{
  [](std::string& s) -> std::string {
    // What is not a number is left to the option's own conversion error.
    char* end = nullptr;
    auto v = std::strtold(s.c_str(), &end);
    if (end != s.c_str() && v < 0)
      return "must not be negative, got " + s;
    return {};
  },
  "NONNEGATIVE"};

void add_connection_options(CLI::App& cmd, connection_options& opts) {
  cmd.add_option("--config", opts.config, "cluster.conf to read (default ./cluster.conf)")
    ->each([&opts](const std::string&) { opts.config_given = true; });
  cmd.add_option("--bootstrap-server", opts.bootstrap,
                 "host:port[,host:port...] of brokers, tried in turn (default: every broker "
                 "of the config)");
}

int fail(const std::string& what) {
  return fail(std::cerr, what);
}

int fail(std::ostream& err, const std::string& what) {
  err << "cafka: " << what << "\n";
  return 1;
}

std::optional<std::string> resolve_bootstrap(const connection_options& o) {
  if (!o.bootstrap.empty()) {
    if (auto servers = parse_bootstrap(o.bootstrap); !servers) {
      fail("--bootstrap-server: " + describe(servers.error()));
      return std::nullopt;
    }
    return o.bootstrap;
  }
  std::error_code ec;
  if (!o.config_given && !std::filesystem::exists(o.config, ec)) {
    fail("no --bootstrap-server given and " + o.config
         + " not found (run in the repository root or pass --config)");
    return std::nullopt;
  }
  auto servers = cluster_bootstrap(o.config);
  if (!servers) {
    fail(describe(servers.error()));
    return std::nullopt;
  }
  return *servers;
}

void prepare_system_config(caf::actor_system_config& cfg, const std::string& conf_path) {
  configure_client(cfg);
  std::ifstream in{conf_path};
  if (in)
    cfg.parse(std::vector<std::string>{}, in);
  // Failure detection defaults (DESIGN.md section 4): set on every process.
  if (caf::get_if(&cfg.content, "middleman.connection-timeout") == nullptr)
    cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds{2}});
  cfg.set("logger.console", caf::atom("none"));
  // Nodes open connections only to higher node ids (node_supervisor.cpp); BASP must not open
  // any of its own.
  cfg.set("middleman.enable-automatic-connections", false);
}

std::optional<broker_actor> connect_bootstrap(caf::actor_system& sys,
                                              const connection_options& o) {
  auto list = resolve_bootstrap(o);
  if (!list)
    return std::nullopt;
  auto b = connect_bootstrap_broker(sys, *list, std::chrono::seconds{10});
  if (!b) {
    fail(describe(b.error()));
    return std::nullopt;
  }
  return *b;
}

caf::error configure_cluster_tls(caf::actor_system_config& cfg, const cluster_config& cluster,
                                 node_id id) {
  auto& tls = cluster.tls;
  if (!tls.enabled)
    return {};
  auto passphrase = read_key_passphrase(tls);
  if (!passphrase)
    return std::move(passphrase.error());
  tls_files files;
  files.ca_file = tls.ca_file;
  files.certificate = id == no_node ? tls.client_certificate : tls.certificate_of(id);
  files.key = id == no_node ? tls.client_key : tls.key_of(id);
  files.key_passphrase = std::move(*passphrase);
  auto who = tls::check_credentials(files.ca_file, files.certificate, files.key,
                                    files.key_passphrase);
  if (!who)
    return std::move(who.error());
  if (id != no_node && *who != tls::node_identity(id))
    return make_error(errc::invalid_config,
                      files.certificate + " carries the identity of " + to_string(*who)
                        + ", not of node " + to_string(id));
  if (id == no_node && who->is_node)
    return make_error(errc::invalid_config,
                      files.certificate + " carries the identity of " + to_string(*who)
                        + ", not of a client ([tls] client-certificate)");
  set_basp_payload_cap(tls::basp_payload_cap(cluster.defaults));
  return configure_tls(cfg, files);
}

std::unique_ptr<client_system> open_client_system(const std::string& conf_path) {
  std::unique_ptr<client_system> cs{new client_system};
  prepare_system_config(cs->cfg_, conf_path);
  std::error_code ec;
  if (std::filesystem::exists(conf_path, ec)) {
    auto cluster = load_cluster_config(conf_path);
    if (!cluster) {
      fail(describe(cluster.error()));
      return nullptr;
    }
    if (auto err = configure_cluster_tls(cs->cfg_, *cluster, no_node)) {
      fail(describe(err));
      return nullptr;
    }
  }
  cs->sys_ = std::make_unique<caf::actor_system>(cs->cfg_);
  return cs;
}

int ensure_topic(caf::actor_system& sys, const connection_options& o,
                 const create_topic_request& req) {
  auto b = connect_bootstrap(sys, o);
  if (!b)
    return 1;
  caf::scoped_actor self{sys};
  int rc = 0;
  self->request(*b, std::chrono::seconds{30}, create_topic_atom::value, req)
    .receive([](topic_metadata&) {},
             [&](caf::error& err) {
               if (errc_of(err) != errc::topic_already_exists)
                 rc = fail(describe(err));
             });
  return rc;
}

int64_t parse_duration_ms(const std::string& s) {
  size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &pos);
  } catch (...) {
    return -1;
  }
  auto unit = s.substr(pos);
  if (v < 0)
    return -1;
  if (unit.empty() || unit == "ms")
    return v;
  if (unit == "s")
    return v * 1000;
  if (unit == "m" || unit == "min")
    return v * 60000;
  return -1;
}

} // namespace cafka::app
