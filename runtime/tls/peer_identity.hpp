// Who a cafka certificate names: a node (SAN URI urn:cafka:node:<id>) or a client (SAN URI
// urn:cafka:client:<name>). Written by certificate_authority.hpp, read here from a peer's or
// our own certificate. Plain functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <openssl/x509.h>

#include "runtime/base/ids.hpp"

namespace cafka::tls {

inline constexpr std::string_view cafka_uri_prefix = "urn:cafka:";
inline constexpr std::string_view node_uri_prefix = "urn:cafka:node:";
inline constexpr std::string_view client_uri_prefix = "urn:cafka:client:";

struct peer_identity {
  bool is_node = false;
  node_id node{-1};         // the node's id if is_node, else -1
  std::string client_name;  // the client's name if !is_node, else empty

  friend bool operator==(const peer_identity& x, const peer_identity& y) {
    return x.is_node == y.is_node && x.node == y.node && x.client_name == y.client_name;
  }
  friend bool operator!=(const peer_identity& x, const peer_identity& y) { return !(x == y); }
};

peer_identity node_identity(node_id id);
peer_identity client_identity(std::string name);

// "node 2" or "client 'ops'".
std::string to_string(const peer_identity& x);

// "urn:cafka:node:<id>" and "urn:cafka:client:<name>".
std::string node_uri(node_id id);
std::string client_uri(const std::string& name);

// True if every character of `s` is one of [A-Za-z0-9._-] (client names, DNS names).
bool name_chars_only(std::string_view s);

// A client name: 1 to 64 characters of [A-Za-z0-9._-].
bool valid_client_name(std::string_view name);

// The identity a cafka URI names. Errors (errc::invalid_config): anything but
// urn:cafka:node:<id> (id a decimal int32 >= 0, no sign, no leading zero, nothing after it)
// or urn:cafka:client:<name> (valid_client_name).
caf::expected<peer_identity> identity_of_uri(std::string_view uri);

// The identity of `cert`: its subjectAltName must hold exactly one URI starting with
// "urn:cafka:", and that URI must be well formed (other SAN entries are ignored). Errors
// (errc::invalid_config) say what is wrong: no certificate, no or two cafka URIs, a malformed
// one.
caf::expected<peer_identity> identity_of(X509* cert);

// The identity of the first certificate in a PEM file; errors start with "<path>: ".
caf::expected<peer_identity> identity_of_file(const std::string& path);

} // namespace cafka::tls
