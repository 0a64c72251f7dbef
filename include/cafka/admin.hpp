// Blocking cluster administration for programs and tests (the part of Kafka's AdminClient that
// cafka has): reach a broker through a bootstrap list and create topics. Call from a non-actor
// thread (main, a test body), like caf::scoped_actor; every call is bounded by its timeout.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/broker/broker_interface.hpp"

namespace cafka {

// The bootstrap list of every broker of the cluster.conf at `path`: "host:port,host:port" in
// node order (Kafka's bootstrap.servers; a client tries the entries in turn). Errors:
// invalid_config when the file is missing or does not validate (a valid one has a broker).
caf::expected<std::string> cluster_bootstrap(const std::string& path = "cluster.conf");

// The bootstrap list a program's command line names: removes "--bootstrap LIST" and
// "--config FILE" from `args` (the other arguments keep their order) and returns LIST if
// given, else cluster_bootstrap(FILE), FILE defaulting to "cluster.conf". Errors:
// invalid_config for an option without its value, both options, a list that is not
// host:port[,...] (an empty one too), else cluster_bootstrap's (for the default file, with a
// hint to pass --config or --bootstrap).
caf::expected<std::string> bootstrap_from_args(std::vector<std::string>& args);

// A broker of `bootstrap` ("host:port,host:port", Kafka's bootstrap.servers), entries tried in
// turn, that answers a metadata request. A broker still registering with the controller
// (broker_not_available) is asked again until `timeout`. Errors: invalid_config for a bad
// list; else the last broker's error.
caf::expected<broker_actor> connect_bootstrap_broker(caf::actor_system& sys,
                                                     const std::string& bootstrap,
                                                     std::chrono::milliseconds timeout);

// Creates a topic through a broker of `bootstrap`; its metadata once created. Errors:
// topic_already_exists, invalid_topic, invalid_replication_factor, ... as the controller
// answers, or the connection's error.
caf::expected<topic_metadata> create_topic(caf::actor_system& sys, const std::string& bootstrap,
                                           const create_topic_request& req,
                                           std::chrono::milliseconds timeout
                                           = std::chrono::seconds{30});

} // namespace cafka
