// What cafka adds around CAF's OpenSSL module, which has no hooks: refused handshakes are
// logged, OpenSSL's per-thread error queue is emptied before each TLS call, and what a peer
// sends passes the BASP filter (basp_filter.hpp). Process-wide; callbacks run on CAF's
// multiplexer thread (a first handshake step on its OpenSSL actor's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/node_id.hpp>

#include "runtime/tls/basp_filter.hpp"

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
// - SSL_read, SSL_pending (CAF's TLS connections only): the bytes TLS decrypted pass the
//   connection's BASP filter, made after the handshake from the peer's verified certificate
//   (tls::identity_of) and bound through tls::peer_registry; CAF reads whole passed frames
//   only. SSL_read hands out filtered bytes first and reads libssl's only when it has none,
//   until a frame completes or libssl reports WANT_READ or an error, which CAF then sees as
//   before; SSL_pending counts the filter's held bytes, so CAF reads them without waiting
//   for the socket. A close verdict is an OpenSSL error (SSL_ERROR_SSL) from then on, so CAF
//   closes the connection. Each close and each kind of dropped frame is logged once per peer
//   address (repeats at most every 10 s, with their count):
//   "TLS: dropped a BASP frame from client 'client' at 127.0.0.1:50312: a CAF system
//    message (@<>+@exit)"
void install_openssl_shim();

// Notes a CAF node id of this process (one per actor system; configure_tls's thread hook
// does it before the system's first thread runs): the filter refuses handshakes that claim
// it and routed messages that name it as their source.
void note_local_caf_node(const caf::node_id& id);

// The largest BASP payload a peer may send (tls::basp_payload_cap of the cluster's
// defaults; until set, of the built-in defaults). Frames over it close the connection.
void set_basp_payload_cap(uint32_t bytes);

// Frames the BASP filters of this process dropped, for `why`, since it started.
uint64_t basp_frames_dropped(tls::basp_drop why);

// The last fatal TLS alert the peer at host:port (an IP address) sent this process, e.g.
// "unknown CA" when it refused this process's certificate; nullopt if none.
std::optional<std::string> tls_alert_from(const std::string& host, uint16_t port);

} // namespace cafka
