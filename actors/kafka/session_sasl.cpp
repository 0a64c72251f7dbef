// Kafka session handlers of SASL authentication: SaslHandshake (v0: bare tokens follow, as
// kafka-python sends them; v1: SaslAuthenticate requests carry them) and SaslAuthenticate,
// and the gate that lets nothing else through before the client authenticated. A failed
// authentication is answered, then the connection closes, as Kafka does.

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/sasl_codec.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

namespace {

using kafka::api_key;
using kafka::error_code;

const access_metadata& access_of(kafka_session_self self,
                                 std::shared_ptr<const access_metadata>& keep) {
  keep = self->state.ctx.access->current();
  return *keep;
}

// The client authenticated: every API opens, as `principal`.
void finish(kafka_session_self self) {
  auto& st = self->state;
  st.stage = sasl_stage::done;
  st.principal = st.sasl->principal();
  // With the session as sender, which the connection checks (a typed actor cannot send()
  // to its untyped connection).
  st.connection->enqueue(self->ctrl(), caf::make_message_id(),
                         caf::make_message(kafka_authed_atom::value), self->context());
}

std::string failed_as(kafka_session_self self, const caf::error& err) {
  return "SASL authentication of " + self->state.client_host + " failed: " + context_of(err);
}

} // namespace

bool admit(kafka_session_self self, const kafka_call& call) {
  auto& st = self->state;
  auto key = static_cast<api_key>(call.header.api_key);
  switch (st.stage) {
    case sasl_stage::off:
    case sasl_stage::done:
      return true;
    case sasl_stage::handshake:
      if (key == api_key::api_versions || key == api_key::sasl_handshake)
        return true;
      break;
    case sasl_stage::authenticate:
      if (key == api_key::sasl_authenticate)
        return true;
      break;
    case sasl_stage::raw:
      break;  // on_frame hands raw frames to on_raw_token
  }
  close_connection(self, call.seq,
                   "unexpected request (API " + std::to_string(call.header.api_key)
                     + ") during SASL authentication");
  return false;
}

void handle_sasl_handshake(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::sasl_handshake_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto& st = self->state;
  kafka::sasl_handshake_response out;
  if (st.stage != sasl_stage::handshake) {
    // A PLAINTEXT or SSL listener, or a client that authenticated already.
    out.error_code = kafka::code(error_code::illegal_sasl_state);
    respond(self, call, out);
    return;
  }
  if (!st.sasl)
    st.sasl.emplace(st.ctx.cfg->security.sasl_enabled_mechanisms);
  out.mechanisms = st.sasl->mechanisms();
  if (auto err = st.sasl->handshake(req.mechanism)) {
    out.error_code = kafka::code(kafka::to_kafka_error(err));
    respond(self, call, out);
    close_connection(self, call.seq + 1, failed_as(self, err));
    return;
  }
  st.stage = call.header.api_version == 0 ? sasl_stage::raw : sasl_stage::authenticate;
  respond(self, call, out);
}

void handle_sasl_authenticate(kafka_session_self self, const kafka_call& call,
                              kafka::reader& r) {
  kafka::sasl_authenticate_request req;
  if (!decode_body(self, call, r, req))
    return;
  auto& st = self->state;
  kafka::sasl_authenticate_response out;
  if (st.stage != sasl_stage::authenticate) {
    out.error_code = kafka::code(error_code::illegal_sasl_state);
    out.error_message = "SaslAuthenticate without a SaslHandshake v1 before it, or after "
                        "authentication";
    respond(self, call, out);
    return;
  }
  std::shared_ptr<const access_metadata> keep;
  auto token = st.sasl->authenticate(req.auth_bytes, access_of(self, keep));
  if (!token) {
    out.error_code = kafka::code(kafka::to_kafka_error(token.error()));
    out.error_message = context_of(token.error());
    respond(self, call, out);
    close_connection(self, call.seq + 1, failed_as(self, token.error()));
    return;
  }
  out.auth_bytes = std::move(*token);
  respond(self, call, out);
  if (st.sasl->complete())
    finish(self);
}

void on_raw_token(kafka_session_self self, uint64_t seq, const std::string& token) {
  auto& st = self->state;
  std::shared_ptr<const access_metadata> keep;
  auto reply = st.sasl->authenticate(token, access_of(self, keep));
  if (!reply) {
    // Version 0 has no way to say why: Kafka closes the connection.
    close_connection(self, seq, failed_as(self, reply.error()));
    return;
  }
  std::string frame(4, '\0');
  wire::store_be32(frame.data(), static_cast<uint32_t>(reply->size()));
  frame += *reply;
  caf::anon_send(st.connection, kafka_reply_atom::value, seq, std::move(frame));
  if (st.sasl->complete())
    finish(self);
}

} // namespace cafka
