// What `cafka tls init` does (app/cmd_tls.cpp is its command line): the cluster CA, one
// certificate per node and one for clients, written into a private directory, and the
// [tls] section it appends to cluster.conf. Plain functions; main thread of the CLI or tests.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/config/cluster_config.hpp"

namespace cafka::tls {

struct tls_init_options {
  std::string dir;                 // where the files go (created 0700 if missing)
  int days = 825;                  // node and client certificates
  int ca_days = 3650;              // the CA certificate
  std::string client_name = "client";
  std::string passphrase;          // encrypts every key if not empty
  bool force = false;              // replace existing files
};

// A file init_tls_files wrote.
struct written_file {
  std::string path;  // <dir>/<name>
  std::string what;  // "cluster CA certificate", "node 2 private key", ...
  mode_t mode = 0;
};

// The names init_tls_files writes into its directory, in order: ca.pem, ca.key, then
// node-<id>.pem and node-<id>.key for each node, then client.pem, client.key.
std::vector<std::string> tls_file_names(const std::vector<node_config>& nodes);

// Generates the CA, a certificate per node (urn:cafka:node:<id> plus the node's host) and
// the client certificate (urn:cafka:client:<client_name>), all in memory, then writes them:
// keys 0600, certificates 0644, each atomically (tls_files.hpp). Errors: errc::invalid_config
// "<dir>/<name> exists; pass --force to replace the cluster's certificates" when a file is
// there and !force (nothing written); bad options or OpenSSL failures (nothing written);
// errc::storage_error while writing (the files before it are written).
caf::expected<std::vector<written_file>> init_tls_files(const std::vector<node_config>& nodes,
                                                        const tls_init_options& o);

// How the [tls] section refers to the files and the passphrase (paths relative to the
// config file's directory, or absolute).
struct tls_section_options {
  std::string dir;              // the directory of init_tls_files, as the config names it
  std::string passphrase_file;  // key-passphrase-file, if not empty
  std::string passphrase_env;   // key-passphrase-env, if not empty
};

// The [tls] section text, starting with a blank line, ending with a newline.
std::string tls_section(const tls_section_options& o);

// Appends `text` to the file at `path` (a newline first if it does not end with one),
// replacing it atomically and keeping its mode. Errors: errc::storage_error.
caf::error append_to_file(const std::string& path, const std::string& text);

} // namespace cafka::tls
