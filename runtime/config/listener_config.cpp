#include "runtime/config/listener_config.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

namespace {

caf::error bad_entry(const std::string& key, const std::string& entry, const std::string& why) {
  return make_error(errc::invalid_config, key + ": '" + entry + "' " + why);
}

caf::expected<listener_endpoint> parse_one(const std::string& entry, const std::string& key,
                                           bool bind) {
  auto sep = entry.find("://");
  if (sep == std::string::npos || sep == 0)
    return bad_entry(key, entry, "is not NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092)");
  listener_endpoint e;
  e.name = entry.substr(0, sep);
  std::transform(e.name.begin(), e.name.end(), e.name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  auto rest = entry.substr(sep + 3);
  // "host:port" with an empty host ("PLAINTEXT://:9092") binds every interface.
  std::string host;
  uint16_t port = 0;
  if (!rest.empty() && rest.front() == ':')
    rest = "0.0.0.0" + rest;
  if (!parse_host_port(rest, host, port))
    return bad_entry(key, entry, "is not NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092)");
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (!bind && (host == "0.0.0.0" || host == "::"))
    return bad_entry(key, entry, "advertises a wildcard address: clients cannot connect to "
                                 "it (set advertised-listeners to a reachable host)");
  if (e.name != "PLAINTEXT" && e.name != "SSL" && e.name != "SASL_PLAINTEXT"
      && e.name != "SASL_SSL")
    return bad_entry(key, entry, "uses listener name " + e.name
                                   + ": PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL are served");
  e.host = host;
  e.port = port;
  return e;
}

} // namespace

caf::expected<std::vector<listener_endpoint>> parse_listeners(const std::string& text,
                                                              const std::string& key,
                                                              bool bind) {
  std::vector<listener_endpoint> out;
  std::set<std::string> names;
  size_t begin = 0;
  while (begin <= text.size()) {
    auto end = text.find(',', begin);
    if (end == std::string::npos)
      end = text.size();
    auto entry = text.substr(begin, end - begin);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (entry.empty())
      return make_error(errc::invalid_config, key + ": empty entry in '" + text + "'");
    auto e = parse_one(entry, key, bind);
    if (!e)
      return e.error();
    if (!names.insert(e->name).second)
      return bad_entry(key, entry, "repeats listener name " + e->name);
    out.push_back(std::move(*e));
    begin = end + 1;
  }
  return out;
}

bool uses_tls(const listener_endpoint& x) {
  return x.name == "SSL" || x.name == "SASL_SSL";
}

bool uses_sasl(const std::string& listener_name) {
  return listener_name == "SASL_PLAINTEXT" || listener_name == "SASL_SSL";
}

std::string to_string(const std::vector<listener_endpoint>& xs) {
  std::string out;
  for (auto& x : xs) {
    if (!out.empty())
      out += ',';
    auto host = x.host.find(':') != std::string::npos ? "[" + x.host + "]" : x.host;
    out += x.name + "://" + host + ":" + std::to_string(x.port);
  }
  return out;
}

} // namespace cafka
