// `cafka tls init`: the cluster CA, a certificate per node of cluster.conf and one for
// clients (runtime/tls/tls_init.hpp), then a [tls] section appended to cluster.conf.
// Main thread only.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_set.hpp>

#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "runtime/tls/pem_io.hpp"
#include "runtime/tls/tls_init.hpp"

namespace cafka::app {

namespace {

namespace fs = std::filesystem;

struct tls_init_cli {
  std::string config = "cluster.conf";
  std::string dir = "tls";
  int days = 825;
  std::string client_name = "client";
  std::string passphrase_file;
  std::string passphrase_env;
  bool force = false;
};

// The cluster config without its [tls] section (tls init needs only the nodes, and replaces
// what that section names), and whether the file has one.
struct loaded_config {
  cluster_config cfg;
  bool has_tls_section = false;
};

caf::expected<loaded_config> load_config(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(errc::invalid_config, path + ": cannot open the config file");
  caf::settings s;
  caf::config_option_set opts;
  if (auto err = caf::actor_system_config::parse_config(in, opts, s))
    return make_error(errc::invalid_config, path + ": does not parse: " + caf::to_string(err));
  loaded_config out;
  caf::settings without_tls;
  for (auto& kv : s)
    if (kv.first == "tls")
      out.has_tls_section = true;
    else
      without_tls.insert(kv);
  auto cfg = cluster_config_from(without_tls, path);
  if (!cfg)
    return std::move(cfg.error());
  out.cfg = std::move(*cfg);
  return out;
}

// `p` without "." and ".." steps and without a trailing separator.
fs::path normal(const fs::path& p) {
  auto n = p.lexically_normal();
  return n.has_filename() || n == n.root_path() ? n : n.parent_path();
}

// The passphrase of --passphrase-file (trailing line breaks removed) or --passphrase-env;
// empty if neither is given.
caf::expected<std::string> passphrase_of(const tls_init_cli& o) {
  std::string p;
  std::string source;
  if (!o.passphrase_file.empty()) {
    source = "--passphrase-file " + o.passphrase_file;
    auto text = tls::read_passphrase_file(o.passphrase_file);
    if (!text)
      return make_error(errc::invalid_config, source + ": cannot read the file");
    p = std::move(*text);
  } else if (!o.passphrase_env.empty()) {
    source = "--passphrase-env " + o.passphrase_env;
    auto v = std::getenv(o.passphrase_env.c_str());
    if (v == nullptr)
      return make_error(errc::invalid_config, source + ": the variable is not set");
    p = v;
  } else {
    return std::string{};
  }
  if (p.empty())
    return make_error(errc::invalid_config, source + ": the passphrase is empty");
  if (p.size() > tls::max_passphrase_bytes)
    return make_error(errc::invalid_config,
                      source + ": the passphrase is longer than "
                        + std::to_string(tls::max_passphrase_bytes) + " bytes");
  return p;
}

// How the [tls] section names --passphrase-file: relative to the config's directory (as
// every path of the section), or absolute as given.
std::string passphrase_file_in_config(const tls_init_cli& o) {
  fs::path f{o.passphrase_file};
  if (f.is_absolute())
    return normal(f).string();
  auto conf_dir = fs::absolute(fs::path{o.config}).parent_path();
  auto rel = normal(fs::absolute(f)).lexically_relative(normal(conf_dir));
  return rel.empty() ? normal(fs::absolute(f)).string() : rel.string();
}

int init(const tls_init_cli& o) {
  auto loaded = load_config(o.config);
  if (!loaded)
    return fail(context_of(loaded.error()));
  auto passphrase = passphrase_of(o);
  if (!passphrase)
    return fail(context_of(passphrase.error()));
  // --dir is relative to the config's directory, as the paths of the [tls] section are.
  auto dir_in_config = normal(fs::path{o.dir});
  auto dir = normal(fs::path{o.config}.parent_path() / dir_in_config);
  tls::tls_init_options opts;
  opts.dir = dir.string();
  opts.days = o.days;
  opts.ca_days = std::max(opts.ca_days, o.days);
  opts.client_name = o.client_name;
  opts.passphrase = std::move(*passphrase);
  opts.force = o.force;
  auto written = tls::init_tls_files(loaded->cfg.nodes, opts);
  if (!written)
    return fail(context_of(written.error()));
  for (auto& f : *written) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(f.mode));
    std::cout << "wrote " << f.path << " (" << f.what << ", mode " << mode << ")\n";
  }
  if (loaded->has_tls_section) {
    std::cout << o.config << " already has a [tls] section: left as it is\n";
    return 0;
  }
  tls::tls_section_options section;
  section.dir = dir_in_config.string();
  if (!o.passphrase_file.empty())
    section.passphrase_file = passphrase_file_in_config(o);
  section.passphrase_env = o.passphrase_env;
  if (auto err = tls::append_to_file(o.config, tls::tls_section(section)))
    return fail(context_of(err));
  std::cout << "added a [tls] section to " << o.config << "\n";
  return 0;
}

} // namespace

void add_tls_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<tls_init_cli>();
  auto cmd = app.add_subcommand("tls", "set up the certificates for mutual TLS");
  cmd->require_subcommand(1);
  auto sub = cmd->add_subcommand(
    "init", "create the cluster CA, a certificate per node and one for clients, and add a "
            "[tls] section to the config");
  sub->add_option("--config", o->config, "cluster.conf to read and extend")
    ->capture_default_str();
  sub->add_option("--dir", o->dir,
                  "directory for the keys and certificates, relative to the config's "
                  "directory")
    ->capture_default_str();
  sub->add_option("--days", o->days, "validity of the node and client certificates in days (the "
                                     "CA gets 3650, or --days if longer)")
    ->capture_default_str()
    ->check(CLI::Range(1, tls::max_days));
  sub->add_option("--client-name", o->client_name,
                  "the name in the client certificate (urn:cafka:client:NAME)")
    ->capture_default_str();
  auto file = sub->add_option("--passphrase-file", o->passphrase_file,
                              "encrypt every key with the passphrase in this file");
  auto env = sub->add_option("--passphrase-env", o->passphrase_env,
                             "encrypt every key with the passphrase in this variable");
  file->excludes(env);
  sub->add_flag("--force", o->force, "replace existing keys and certificates");
  sub->callback([o, &run] { run = [o] { return init(*o); }; });
}

} // namespace cafka::app
