// libFuzzer target: one connection's SASL tokens through sasl_server, and (SCRAM) through a
// scram_server with a fixed nonce so mutations reach the final message; see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: a mode byte
// (byte % 3: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), then the tokens, a fuzz::field each.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/base/errc.hpp"
#include "runtime/security/base64.hpp"
#include "runtime/security/sasl_server.hpp"
#include "runtime/security/scram.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace cafka;

namespace {

// RFC 7677's user: "user" with password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096
// iterations, for both mechanisms; the SCRAM server's nonce is the RFC's, so the RFC's
// exchange (a seed) completes.
constexpr std::string_view rfc_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

const access_metadata& access() {
  static const access_metadata a = [] {
    access_metadata out;
    auto salt = *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    for (auto m : {scram_mechanism::sha_256, scram_mechanism::sha_512})
      out.credentials.push_back(*make_scram_credential("user", "pencil", m, 4096, salt));
    return out;
  }();
  return a;
}

// After an error or completion, every further token must be refused as out of order.
template <class Server, class Step>
void run(Server& server, std::string_view tokens, Step step) {
  bool done = false;
  std::optional<std::string_view> token;
  while (fuzz::take_field(tokens, token)) {
    auto answer = step(server, token.value_or(std::string_view{}));
    if (done && (answer || errc_of(answer.error()) != errc::illegal_sasl_state))
      __builtin_trap();
    done = done || !answer || server.complete();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  static const char* names[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  auto mode = data[0] % 3;
  auto tokens = fuzz::as_view(data + 1, size - 1);
  sasl_server server{{names[0], names[1], names[2]}};
  if (server.handshake(names[mode]))
    __builtin_trap();
  run(server, tokens, [](sasl_server& s, std::string_view t) {
    return s.authenticate(t, access());
  });
  if (server.complete() && server.principal() != "User:user")
    __builtin_trap();
  if (mode == 0)
    return 0;
  auto m = mode == 1 ? scram_mechanism::sha_256 : scram_mechanism::sha_512;
  scram_server scram{m, std::string{rfc_server_nonce}};
  run(scram, tokens, [](scram_server& s, std::string_view t) {
    return s.respond(t, access());
  });
  if (scram.complete() && scram.user() != "user")
    __builtin_trap();
  return 0;
}
