#include "runtime/tls/peer_identity.hpp"

#include <cstdint>
#include <limits>
#include <vector>

#include <openssl/err.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/openssl_ptr.hpp"
#include "runtime/tls/pem_io.hpp"

namespace cafka::tls {

namespace {

caf::error bad(const std::string& what) {
  return make_error(errc::invalid_config, what);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A decimal int32 >= 0: digits only, no leading zero (but "0"), in range.
bool parse_node_id(std::string_view s, int32_t& out) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0'))
    return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  if (v > std::numeric_limits<int32_t>::max())
    return false;
  out = static_cast<int32_t>(v);
  return true;
}

// The SAN URIs of `cert` that start with cafka_uri_prefix.
caf::expected<std::vector<std::string>> cafka_uris(X509* cert) {
  int crit = 0;
  general_names_ptr names{static_cast<GENERAL_NAMES*>(
    X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr))};
  ERR_clear_error();
  if (!names && crit == -2)
    return bad("the certificate has more than one subjectAltName extension");
  if (!names && crit != -1)
    return bad("the certificate's subjectAltName does not parse");
  std::vector<std::string> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    auto g = sk_GENERAL_NAME_value(names.get(), i);
    if (g->type != GEN_URI)
      continue;
    auto s = g->d.uniformResourceIdentifier;
    std::string uri{reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                    static_cast<size_t>(ASN1_STRING_length(s))};
    if (starts_with(uri, cafka_uri_prefix))
      out.push_back(std::move(uri));
  }
  return out;
}

} // namespace

peer_identity node_identity(node_id id) {
  return peer_identity{true, id, {}};
}

peer_identity client_identity(std::string name) {
  return peer_identity{false, node_id{-1}, std::move(name)};
}

std::string to_string(const peer_identity& x) {
  return x.is_node ? "node " + to_string(x.node) : "client '" + x.client_name + "'";
}

std::string node_uri(node_id id) {
  return std::string{node_uri_prefix} + to_string(id);
}

std::string client_uri(const std::string& name) {
  return std::string{client_uri_prefix} + name;
}

bool name_chars_only(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool valid_client_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name_chars_only(name);
}

caf::expected<peer_identity> identity_of_uri(std::string_view uri) {
  auto malformed = [&](const std::string& why) {
    return bad("malformed cafka URI '" + std::string{uri} + "' (" + why + ")");
  };
  if (starts_with(uri, node_uri_prefix)) {
    int32_t id = 0;
    if (!parse_node_id(uri.substr(node_uri_prefix.size()), id))
      return malformed("the node id must be a decimal number from 0 to 2147483647");
    return node_identity(node_id{id});
  }
  if (starts_with(uri, client_uri_prefix)) {
    auto name = uri.substr(client_uri_prefix.size());
    if (!valid_client_name(name))
      return malformed("a client name is 1 to 64 characters of A-Z a-z 0-9 . _ -");
    return client_identity(std::string{name});
  }
  return malformed("expected urn:cafka:node:<id> or urn:cafka:client:<name>");
}

caf::expected<peer_identity> identity_of(X509* cert) {
  if (cert == nullptr)
    return bad("no certificate");
  auto uris = cafka_uris(cert);
  if (!uris)
    return std::move(uris.error());
  if (uris->empty())
    return bad("the certificate's subjectAltName has no urn:cafka: URI");
  if (uris->size() > 1)
    return bad("the certificate's subjectAltName has " + std::to_string(uris->size())
               + " urn:cafka: URIs ('" + (*uris)[0] + "', '" + (*uris)[1]
               + "'); a certificate names one node or client");
  return identity_of_uri(uris->front());
}

caf::expected<peer_identity> identity_of_file(const std::string& path) {
  auto certs = read_certificates(path);
  if (!certs)
    return std::move(certs.error());
  auto id = identity_of(certs->front().get());
  if (!id)
    return make_error(errc::invalid_config, path + ": " + context_of(id.error()));
  return id;
}

} // namespace cafka::tls
