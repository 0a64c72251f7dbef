// Sees every TLS handshake CAF's OpenSSL module runs, to log refused peers (CAF 0.17 drops a
// failed handshake silently and has no hook for it). Process-wide; the callbacks run on CAF's
// multiplexer thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cafka {

// Turns the observer on for every TLS context created from now on. CAF's OpenSSL module
// requires peer certificates by calling SSL_CTX_set_verify(ctx, VERIFY_PEER|FAIL_IF_NO_PEER_CERT,
// nullptr); this file defines SSL_CTX_set_verify, which the dynamic linker binds that call
// to, and passes it on to libssl's with a verify callback and an info callback that log
// each refusal once, in one line, naming the peer's address and the reason:
//   "TLS: refused 127.0.0.1:50312: certificate verify failed: unable to get local issuer
//    certificate (subject CN = cafka node 7)"
// Verification itself stays OpenSSL's: the callbacks never accept what OpenSSL refused.
void observe_tls_handshakes();

// The last fatal TLS alert the peer at host:port (an IP address) sent this process, e.g.
// "unknown CA" when it refused this process's certificate; nullopt if none.
std::optional<std::string> tls_alert_from(const std::string& host, uint16_t port);

} // namespace cafka
