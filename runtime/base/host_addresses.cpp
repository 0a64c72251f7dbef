#include "runtime/base/host_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <optional>

namespace cafka {

namespace {

// An address in binary form: family and 16 bytes (IPv4 in the first 4).
struct binary_address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};

  bool operator==(const binary_address& o) const {
    return family == o.family && bytes == o.bytes;
  }
};

std::optional<binary_address> parse(const std::string& text) {
  binary_address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

bool is_loopback(const binary_address& a) {
  if (a.family == AF_INET)
    return a.bytes[0] == 127;
  static const std::array<unsigned char, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                         0, 0, 0, 0, 0, 0, 0, 1};
  return a.bytes == v6_loopback;
}

bool is_any(const binary_address& a) {
  auto n = a.family == AF_INET ? 4 : 16;
  for (int i = 0; i < n; ++i)
    if (a.bytes[i] != 0)
      return false;
  return true;
}

} // namespace

std::vector<std::string> interface_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0)
    return out;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0)
      continue;
    char text[INET6_ADDRSTRLEN] = {};
    auto family = i->ifa_addr->sa_family;
    const void* raw = nullptr;
    if (family == AF_INET)
      raw = &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr;
    else if (family == AF_INET6)
      raw = &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr;
    if (raw != nullptr && inet_ntop(family, raw, text, sizeof(text)) != nullptr)
      out.emplace_back(text);
  }
  freeifaddrs(list);
  return out;
}

bool names_this_machine(const std::string& host, const std::vector<std::string>& addresses,
                        const std::string& hostname) {
  if (host == "localhost" || (!hostname.empty() && host == hostname))
    return true;
  auto a = parse(host);
  if (!a)
    return false;
  if (is_loopback(*a) || is_any(*a))
    return true;
  for (auto& x : addresses)
    if (parse(x) == a)
      return true;
  return false;
}

bool is_this_machine(const std::string& host) {
  char name[256] = {};
  std::string hostname;
  if (::gethostname(name, sizeof(name) - 1) == 0)
    hostname = name;
  return names_this_machine(host, interface_addresses(), hostname);
}

std::string without_ipv4_mapping(const std::string& address) {
  static const std::string prefix = "::ffff:";
  if (address.size() <= prefix.size() || address.compare(0, prefix.size(), prefix) != 0)
    return address;
  auto rest = address.substr(prefix.size());
  in_addr v4{};
  return inet_pton(AF_INET, rest.c_str(), &v4) == 1 ? rest : address;
}

} // namespace cafka
