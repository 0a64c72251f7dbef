// Whether a host name or address in cluster.conf names this machine: loopback, the host
// name, or any address of the machine's network interfaces (`cafka cluster up`, `cafka
// chaos` decide which nodes are theirs to start or signal). Plain functions; any thread.
#pragma once

#include <string>
#include <vector>

namespace cafka {

// The numeric addresses ("10.0.0.5", "fe80::1") of every interface of this machine that is
// up (getifaddrs); empty if they cannot be read.
std::vector<std::string> interface_addresses();

// True if `host` names this machine: a loopback address or "localhost", "0.0.0.0" or "::"
// (every interface), the machine's host name `hostname`, or an address equal to one of
// `addresses` (compared as addresses: "::1" and "0:0:0:0:0:0:0:1" are the same). Names other
// than localhost and the host name are not resolved.
bool names_this_machine(const std::string& host, const std::vector<std::string>& addresses,
                        const std::string& hostname);

// names_this_machine with this machine's interface addresses and host name.
bool is_this_machine(const std::string& host);

// An IPv4 client of a dual-stack socket as IPv4 ("::ffff:10.0.0.5" → "10.0.0.5"), as Kafka
// shows and matches client addresses; other addresses unchanged.
std::string without_ipv4_mapping(const std::string& address);

} // namespace cafka
