// Kafka listener settings of a node (cluster.conf `listeners` / `advertised-listeners`, in
// Kafka's URL form "PLAINTEXT://host:port", "SASL_SSL://host:port", ..., comma-separated). Plain
// values; any thread.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/cluster/metadata.hpp"

namespace cafka {

// Parses "NAME://host:port[,NAME://host:port...]". Names are upper-cased, as Kafka
// compares them; each name appears once; an empty host means every interface (only
// allowed for `listeners`, which binds). The name is the security protocol, as in Kafka
// without listener.security.protocol.map: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
// Errors are errc::invalid_config naming the entry ("listeners: 'x' is not NAME://host:port").
caf::expected<std::vector<listener_endpoint>> parse_listeners(const std::string& text,
                                                              const std::string& key,
                                                              bool bind);

// Whether clients of the listener speak TLS (its name is SSL or SASL_SSL).
bool uses_tls(const listener_endpoint& x);
// Whether clients of the listener named so must authenticate with SASL (SASL_PLAINTEXT or
// SASL_SSL).
bool uses_sasl(const std::string& listener_name);

// "PLAINTEXT://127.0.0.1:9092,..." from endpoints (for messages and the status display).
std::string to_string(const std::vector<listener_endpoint>& xs);

} // namespace cafka
