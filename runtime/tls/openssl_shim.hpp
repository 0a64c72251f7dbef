// What cafka adds around CAF's OpenSSL module, which has no hooks: refused handshakes are
// logged and OpenSSL's per-thread error queue is emptied before each TLS call. Process-wide;
// callbacks run on CAF's multiplexer thread (a first handshake step on its OpenSSL actor's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cafka {

// Turns the shim on for every TLS context created from now on. openssl_shim.cpp defines
// some of libssl's functions; the executable exports them (CMake's --export-dynamic-symbol),
// so libcaf_openssl's calls bind to them, and each passes the call on to libssl's:
// - SSL_CTX_set_verify: CAF's OpenSSL module requires peer certificates by calling it with
//   VERIFY_PEER|FAIL_IF_NO_PEER_CERT and no callback; for calls from libcaf_openssl only,
//   the shim adds a verify callback and an
//   info callback that log each refused handshake once (repeats rate-limited), in one line
//   naming the peer's address and the reason:
//   "TLS: refused 127.0.0.1:50312: certificate verify failed: unable to get local issuer
//    certificate (subject CN = cafka node 7)"
//   Verification stays OpenSSL's: the callbacks never accept what OpenSSL refused; they
//   add one rule, that the peer's certificate carries a cafka identity (tls::identity_of).
// - SSL_read, SSL_write, SSL_accept, SSL_connect: CAF decides whether a connection failed
//   with SSL_get_error, which reads the thread's error queue; OpenSSL requires that queue
//   to be empty before each call, and CAF never empties it (only its compiled-out logging
//   does). Without this, one peer's abrupt close made CAF close other, healthy connections
//   served by the same thread.
void install_openssl_shim();

// The last fatal TLS alert the peer at host:port (an IP address) sent this process, e.g.
// "unknown CA" when it refused this process's certificate; nullopt if none.
std::optional<std::string> tls_alert_from(const std::string& host, uint16_t port);

} // namespace cafka
