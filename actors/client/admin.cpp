#include "cafka/admin.hpp"

#include <optional>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "actors/node/blocking_connect.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

namespace {

using clock = std::chrono::steady_clock;

std::chrono::milliseconds left(clock::time_point deadline) {
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return std::max(d, std::chrono::milliseconds{1});
}

// One metadata round trip: none if the broker serves requests.
caf::error ask_metadata(caf::scoped_actor& self, const broker_actor& b,
                        std::chrono::milliseconds timeout) {
  caf::error err;
  self->request(b, timeout, metadata_atom::value, metadata_request{})
    .receive([](cluster_metadata&) {}, [&](caf::error& e) { err = std::move(e); });
  return err;
}

// The value of the option at args[i]; removes both from args. An error if it has none.
caf::expected<std::string> take_value(std::vector<std::string>& args, size_t i) {
  if (i + 1 >= args.size())
    return make_error(errc::invalid_config, args[i] + " needs a value");
  auto value = args[i + 1];
  args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
             args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
  return value;
}

} // namespace

caf::expected<std::string> cluster_bootstrap(const std::string& path) {
  auto cfg = load_cluster_config(path);
  if (!cfg)
    return cfg.error();
  // Never empty: a config without a broker does not validate.
  return cfg->bootstrap_servers();
}

caf::expected<std::string> bootstrap_from_args(std::vector<std::string>& args) {
  std::optional<std::string> bootstrap;
  std::optional<std::string> config;
  for (size_t i = 0; i < args.size();) {
    if (args[i] != "--bootstrap" && args[i] != "--config") {
      ++i;
      continue;
    }
    auto is_list = args[i] == "--bootstrap";
    auto value = take_value(args, i);
    if (!value)
      return value.error();
    (is_list ? bootstrap : config) = std::move(*value);
  }
  if (bootstrap && config)
    return make_error(errc::invalid_config, "--bootstrap and --config are alternatives: pass one");
  if (config)
    return cluster_bootstrap(*config);
  if (!bootstrap) {
    auto list = cluster_bootstrap();
    if (!list)
      return make_error(errc::invalid_config,
                        context_of(list.error())
                          + " (run in the repository root, or pass --config FILE or "
                            "--bootstrap LIST)");
    return list;
  }
  if (auto servers = parse_bootstrap(*bootstrap); !servers)
    return servers.error();
  return *bootstrap;
}

caf::expected<broker_actor> connect_bootstrap_broker(caf::actor_system& sys,
                                                     const std::string& bootstrap,
                                                     std::chrono::milliseconds timeout) {
  auto servers = parse_bootstrap(bootstrap);
  if (!servers)
    return servers.error();
  auto deadline = clock::now() + timeout;
  caf::scoped_actor self{sys};
  caf::error last = make_error(errc::invalid_config, "no bootstrap server");
  for (;;) {
    // Every entry in turn, as Kafka's clients do with bootstrap.servers.
    for (auto& hp : *servers) {
      auto b = connect_broker(sys, hp.host, hp.port, left(deadline));
      if (!b) {
        last = std::move(b.error());
        continue;
      }
      last = ask_metadata(self, *b, std::min(left(deadline), std::chrono::milliseconds{2000}));
      if (!last)
        return *b;
    }
    // Only a broker that is still registering is worth asking again.
    if (errc_of(last) != errc::broker_not_available || clock::now() >= deadline)
      return last;
    std::this_thread::sleep_for(std::chrono::milliseconds{50}); // retry backoff
  }
}

caf::expected<topic_metadata> create_topic(caf::actor_system& sys, const std::string& bootstrap,
                                           const create_topic_request& req,
                                           std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  auto b = connect_bootstrap_broker(sys, bootstrap, timeout);
  if (!b)
    return b.error();
  caf::scoped_actor self{sys};
  caf::expected<topic_metadata> result = make_error(errc::request_timed_out, "create topic");
  self->request(*b, left(deadline), create_topic_atom::value, req)
    .receive([&](topic_metadata& md) { result = std::move(md); },
             [&](caf::error& e) { result = std::move(e); });
  return result;
}

} // namespace cafka
