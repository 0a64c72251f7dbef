#include "actors/kafka/kafka_session.hpp"

#include <caf/local_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/api_versions_codec.hpp"
#include "runtime/config/listener_config.hpp"

namespace cafka {

namespace {

using kafka::api_key;

// A request of an API cafka serves at a version it serves: decode the header, dispatch.
void dispatch(kafka_session_self self, kafka_call& call) {
  auto key = static_cast<api_key>(call.header.api_key);
  kafka::reader r{*call.frame};
  decode_request_header(r, kafka::is_flexible(call.header.api_key, call.header.api_version),
                        call.header);
  if (!r.ok()) {
    close_connection(self, call.seq, std::string{"malformed request header: "} + r.error());
    return;
  }
  switch (key) {
    case api_key::api_versions:
      return handle_api_versions(self, call, r);
    case api_key::metadata:
      return handle_metadata(self, call, r);
    case api_key::init_producer_id:
      return handle_init_producer_id(self, call, r);
    case api_key::produce:
      return handle_produce(self, call, r);
    case api_key::fetch:
      return handle_fetch(self, call, r);
    case api_key::list_offsets:
      return handle_list_offsets(self, call, r);
    case api_key::create_topics:
      return handle_create_topics(self, call, r);
    case api_key::delete_topics:
      return handle_delete_topics(self, call, r);
    case api_key::describe_configs:
      return handle_describe_configs(self, call, r);
    case api_key::alter_configs:
      return handle_alter_configs(self, call, r);
    case api_key::incremental_alter_configs:
      return handle_incremental_alter_configs(self, call, r);
    case api_key::create_partitions:
      return handle_create_partitions(self, call, r);
    case api_key::find_coordinator:
      return handle_find_coordinator(self, call, r);
    case api_key::join_group:
      return handle_join_group(self, call, r);
    case api_key::sync_group:
      return handle_sync_group(self, call, r);
    case api_key::heartbeat:
      return handle_heartbeat(self, call, r);
    case api_key::leave_group:
      return handle_leave_group(self, call, r);
    case api_key::offset_commit:
      return handle_offset_commit(self, call, r);
    case api_key::offset_fetch:
      return handle_offset_fetch(self, call, r);
    case api_key::list_groups:
      return handle_list_groups(self, call, r);
    case api_key::describe_groups:
      return handle_describe_groups(self, call, r);
    case api_key::delete_groups:
      return handle_delete_groups(self, call, r);
    case api_key::offset_delete:
      return handle_offset_delete(self, call, r);
    case api_key::alter_partition_reassignments:
      return handle_alter_partition_reassignments(self, call, r);
    case api_key::list_partition_reassignments:
      return handle_list_partition_reassignments(self, call, r);
    case api_key::sasl_handshake:
      return handle_sasl_handshake(self, call, r);
    case api_key::sasl_authenticate:
      return handle_sasl_authenticate(self, call, r);
    case api_key::describe_acls:
      return handle_describe_acls(self, call, r);
    case api_key::create_acls:
      return handle_create_acls(self, call, r);
    case api_key::delete_acls:
      return handle_delete_acls(self, call, r);
    default:
      close_connection(self, call.seq, "API " + std::to_string(call.header.api_key)
                                         + " is not served yet");
  }
}

void on_frame(kafka_session_self self, uint64_t seq, std::string& frame) {
  if (self->state.stage == sasl_stage::raw || self->state.stage == sasl_stage::failed) {
    on_raw_token(self, seq, frame);
    return;
  }
  kafka_call call;
  call.seq = seq;
  call.arrived = kafka_request_metrics::clock::now();
  if (!kafka::peek_request_header(frame, call.header)) {
    close_connection(self, seq, "request shorter than its header");
    return;
  }
  auto api = kafka::find_api(call.header.api_key);
  if (api == nullptr) {
    close_connection(self, seq, "unknown API key " + std::to_string(call.header.api_key));
    return;
  }
  auto v = call.header.api_version;
  if (v < api->min_version || v > api->max_version) {
    if (api->key != api_key::api_versions) {
      close_connection(self, seq, "API " + std::to_string(call.header.api_key) + " version "
                               + std::to_string(v) + " is not served");
      return;
    }
    // Kafka answers an ApiVersions it cannot read with a v0 body: error 35 and the list,
    // so that the client retries with a version from it.
    call.header.api_version = 0;
    auto out = begin_response(call);
    kafka::writer w{out};
    kafka::encode_unsupported_api_versions(w);
    self->state.metrics.count_error(call.header.api_key,
                                    kafka::code(kafka::error_code::unsupported_version));
    send_response(self, call, std::move(out));
    return;
  }
  if (!admit(self, call))
    return;
  call.frame = std::make_shared<const std::string>(std::move(frame));
  dispatch(self, call);
}

} // namespace

std::string begin_response(const kafka_call& call) {
  std::string out;
  kafka::writer w{out};
  w.reserve_i32();
  // ApiVersions answers with header v0 at every version (clients read it before they know
  // what the broker speaks).
  bool flexible = call.header.api_key != static_cast<int16_t>(api_key::api_versions)
                  && kafka::is_flexible(call.header.api_key, call.header.api_version);
  kafka::encode_response_header(w, call.header.correlation_id, flexible);
  return out;
}

void send_response(kafka_session_self self, const kafka_call& call, std::string frame) {
  kafka::writer w{frame};
  w.patch_i32(0, static_cast<int32_t>(frame.size() - 4));
  self->state.metrics.answered(call.header.api_key, call.arrived);
  caf::anon_send(self->state.connection, kafka_reply_atom::value, call.seq, std::move(frame));
}

void respond_nothing(kafka_session_self self, const kafka_call& call) {
  self->state.metrics.answered(call.header.api_key, call.arrived);
  caf::anon_send(self->state.connection, kafka_reply_atom::value, call.seq, std::string{});
}

void run_after(kafka_session_self self, std::chrono::milliseconds delay,
               std::function<void()> f) {
  auto id = self->state.next_timer++;
  self->state.timers.emplace(id, std::move(f));
  self->delayed_send(self, delay, expire_atom::value, id);
}

void close_connection(kafka_session_self self, uint64_t seq, const std::string& why) {
  caf::anon_send(self->state.connection, kafka_close_atom::value, seq, why);
}

kafka_session_actor spawn_kafka_session(caf::local_actor* connection,
                                        kafka_session_context ctx, std::string client_host) {
  auto behavior = [](kafka_session_self self, caf::actor conn, kafka_session_context c,
                     std::string host) -> kafka_session_actor::behavior_type {
    self->state.ctx = std::move(c);
    self->state.client_host = std::move(host);
    self->state.connection = std::move(conn);
    self->state.metrics = kafka_request_metrics{self->state.ctx.metrics};
    if (uses_sasl(self->state.ctx.listener))
      self->state.stage = sasl_stage::handshake;
    auto& sec = self->state.ctx.cfg->security;
    self->state.authz = {sec.super_users, sec.allow_everyone_if_no_acl_found};
    // Replies that come after the session gave up waiting (a late partition of a fetch).
    self->set_error_handler([](caf::error&) {});
    // The connection ended (normally or not): nothing this session computes can go out.
    self->set_exit_handler([=](caf::exit_msg& em) { self->quit(em.reason); });
    return {
      [=](kafka_frame_atom, uint64_t seq, std::string& frame) { on_frame(self, seq, frame); },
      [=](kafka_principal_atom, const std::string& subject) {
        auto& st = self->state;
        // Only from its own connection, and SASL's principal outranks the certificate's.
        if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(st.connection)
            || st.stage != sasl_stage::off || subject.empty())
          return;
        st.principal = "User:" + subject;
      },
      [=](expire_atom, uint64_t id) {
        auto& timers = self->state.timers;
        auto i = timers.find(id);
        if (self->current_sender() != self->ctrl() || i == timers.end())
          return;
        auto f = std::move(i->second);
        timers.erase(i);
        f();
      },
    };
  };
  auto conn = caf::actor_cast<caf::actor>(connection);
  return connection->spawn<caf::linked>(behavior, conn, std::move(ctx), std::move(client_host));
}

} // namespace cafka
