// Which cluster.conf hosts name this machine: loopback, "every interface", the host name and
// the interface addresses, compared as addresses; nothing else.
#include <catch2/catch.hpp>

#include <algorithm>

#include "runtime/base/host_addresses.hpp"

using namespace cafka;

TEST_CASE("a host names this machine by loopback, host name or interface address",
          "[base][hosts]") {
  std::vector<std::string> addrs{"127.0.0.1", "10.20.0.5", "fe80::1c:2", "::1"};
  CHECK(names_this_machine("localhost", addrs, "box"));
  CHECK(names_this_machine("box", addrs, "box"));
  CHECK(names_this_machine("127.0.0.1", addrs, "box"));
  CHECK(names_this_machine("127.0.1.1", {}, "box"));
  CHECK(names_this_machine("::1", {}, "box"));
  CHECK(names_this_machine("0.0.0.0", {}, "box"));
  CHECK(names_this_machine("::", {}, "box"));
  CHECK(names_this_machine("10.20.0.5", addrs, "box"));
  // Compared as addresses, not as text.
  CHECK(names_this_machine("fe80:0:0:0:0:0:1c:2", addrs, "box"));
  CHECK(names_this_machine("0:0:0:0:0:0:0:1", {}, "box"));
  // Another machine's address, another name, an unresolved name, a malformed address.
  CHECK_FALSE(names_this_machine("10.20.0.6", addrs, "box"));
  CHECK_FALSE(names_this_machine("fe80::1c:3", addrs, "box"));
  CHECK_FALSE(names_this_machine("other", addrs, "box"));
  CHECK_FALSE(names_this_machine("box.example.com", addrs, "box"));
  CHECK_FALSE(names_this_machine("10.20.0", addrs, "box"));
  CHECK_FALSE(names_this_machine("", addrs, ""));
}

TEST_CASE("this machine's interface addresses include loopback and name it",
          "[base][hosts]") {
  auto addrs = interface_addresses();
  REQUIRE_FALSE(addrs.empty());
  CHECK(std::find(addrs.begin(), addrs.end(), "127.0.0.1") != addrs.end());
  for (auto& a : addrs)
    CHECK(is_this_machine(a));
  CHECK_FALSE(is_this_machine("192.0.2.1"));  // TEST-NET-1: never assigned to a host
}

TEST_CASE("an IPv4 client of a dual-stack socket shows as IPv4", "[host_addresses]") {
  CHECK(without_ipv4_mapping("::ffff:10.1.2.3") == "10.1.2.3");
  CHECK(without_ipv4_mapping("::ffff:127.0.0.1") == "127.0.0.1");
  CHECK(without_ipv4_mapping("10.1.2.3") == "10.1.2.3");
  CHECK(without_ipv4_mapping("fe80::1") == "fe80::1");
  CHECK(without_ipv4_mapping("::ffff:fe80::1") == "::ffff:fe80::1");
  CHECK(without_ipv4_mapping("::ffff:") == "::ffff:");
}
