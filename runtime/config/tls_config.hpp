// cluster.conf's [tls] section: the files for mutual TLS between nodes and for cafka's own
// clients, and whether a node may run without TLS. Parsed by cluster_config_from; plain values,
// any thread.
#pragma once

#include <string>

#include <caf/expected.hpp>
#include <caf/settings.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

// Kafka's ssl.client.auth for SSL:// listeners: whether a Kafka client must show a
// certificate of the cluster CA (requested: may; a certificate it shows must verify).
enum class ssl_client_auth { none, requested, required };

// Invariant: enabled implies ca_file, certificate, key, client_certificate and client_key are
// set (absolute paths; certificate and key may hold "{id}"), and at most one of
// key_passphrase_file and key_passphrase_env is set.
struct tls_config {
  bool enabled = false;              // the config has a [tls] section
  std::string ca_file;               // ca-file: the cluster CA every peer's certificate chains to
  std::string certificate;           // certificate: a node's, "{id}" replaced by its id
  std::string key;                   // key: a node's private key, "{id}" likewise
  std::string client_certificate;    // client-certificate: for cafka's clients
  std::string client_key;            // client-key
  std::string key_passphrase_file;   // key-passphrase-file: holds the keys' passphrase
  std::string key_passphrase_env;    // key-passphrase-env: variable holding the passphrase
  // ssl-client-auth: none (default) | requested | required, for SSL:// Kafka listeners.
  ssl_client_auth client_auth = ssl_client_auth::none;
  // [cluster] allow-plaintext: lets a node whose host is not a loopback address run without
  // TLS.
  bool allow_plaintext = false;

  // certificate and key with "{id}" replaced.
  std::string certificate_of(node_id id) const;
  std::string key_of(node_id id) const;
};

// Parses the [tls] section (`tls` may be null: no section) of the config at `path`; relative
// paths are taken from the config file's directory. Errors are errc::invalid_config naming
// the key.
caf::expected<tls_config> tls_config_from(const caf::settings* tls, const std::string& path);

// The keys' passphrase: key-passphrase-file's content without trailing line breaks (as
// `cafka tls init` reads it), or key-passphrase-env's value, or "" when neither is set.
// Errors (errc::invalid_config): the file cannot be read or is empty, the variable is not
// set.
caf::expected<std::string> read_key_passphrase(const tls_config& cfg);

// True for 127.0.0.0/8, ::1 and "localhost": addresses no other machine can reach.
bool is_loopback_host(const std::string& host);

} // namespace cafka
