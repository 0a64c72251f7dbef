// Kafka session handlers of SASL authentication: SaslHandshake (v0: bare tokens follow, as
// kafka-python sends them; v1: SaslAuthenticate requests carry them) and SaslAuthenticate,
// and the gate that lets nothing else through before the client authenticated. A failed
// authentication is answered connection-failed-authentication-delay-ms later, then the
// connection closes, as Kafka does; nothing the client sends meanwhile is looked at.

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

// Ends a failed authentication: the connection reads no more and closes once the answer of
// `seq` (`frame`; empty: no answer, as on a v0 token) went out after the delay. Brute force
// then costs a connection and the delay per guess.
void refuse(kafka_session_self self, uint64_t seq, std::string frame, const caf::error& err) {
  auto& st = self->state;
  st.stage = sasl_stage::failed;
  close_connection(self, seq + 1, failed_as(self, err));
  auto delay = std::chrono::milliseconds{
    st.ctx.cfg->limits.connection_failed_authentication_delay_ms};
  caf::delayed_anon_send(st.connection, delay, kafka_reply_atom::value, seq, std::move(frame));
}

template <class Response>
void refuse_with(kafka_session_self self, const kafka_call& call, const Response& out,
                 const caf::error& err) {
  auto frame = begin_response(call);
  kafka::writer w{frame};
  encode(w, call.header.api_version, out);
  w.patch_i32(0, static_cast<int32_t>(frame.size() - 4));
  refuse(self, call.seq, std::move(frame), err);
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
    case sasl_stage::failed:
      return false;  // the connection closes after the failure's answer
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
    refuse_with(self, call, out, err);
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
    refuse_with(self, call, out, token.error());
    return;
  }
  out.auth_bytes = std::move(*token);
  respond(self, call, out);
  if (st.sasl->complete())
    finish(self);
}

void on_raw_token(kafka_session_self self, uint64_t seq, const std::string& token) {
  auto& st = self->state;
  if (st.stage == sasl_stage::failed)
    return;  // the connection closes after the failure
  std::shared_ptr<const access_metadata> keep;
  auto reply = st.sasl->authenticate(token, access_of(self, keep));
  if (!reply) {
    // Version 0 has no way to say why: Kafka closes the connection.
    refuse(self, seq, std::string{}, reply.error());
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
