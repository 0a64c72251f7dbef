// The Kafka session actor's state and the handlers of its API families (one .cpp per family,
// like the codecs). Private to actors/kafka; every function runs in the session's context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include <chrono>

#include "actors/kafka/kafka_metrics.hpp"
#include "actors/kafka/kafka_session.hpp"
#include "runtime/kafka/fetch_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/kafka/produce_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "runtime/security/acl.hpp"
#include "runtime/security/authorizer.hpp"
#include "runtime/security/sasl_server.hpp"

namespace cafka {

// Where a session is in authenticating its client (session_sasl.cpp).
enum class sasl_stage : uint8_t {
  off,           // not a SASL listener: the client is who its connection says
  handshake,     // SASL listener: ApiVersions and SaslHandshake only
  authenticate,  // SaslHandshake v1 done: SaslAuthenticate requests carry the tokens
  raw,           // SaslHandshake v0 done: frames are bare tokens (kafka-python)
  done,          // authenticated: every API, as `principal`
  failed,        // authentication failed: nothing more is served, the connection closes
};

struct kafka_session_state {
  kafka_session_context ctx;
  caf::actor connection;  // where answers go (the connection broker)
  std::string client_host;  // the client's address, as Kafka shows it
  // Invariant: stage == off on PLAINTEXT and SSL listeners; sasl is set from the handshake on.
  sasl_stage stage = sasl_stage::off;
  std::optional<sasl_server> sasl;
  // Whom the ACLs see: "User:ANONYMOUS", "User:<certificate subject>" on SSL listeners with
  // a client certificate, "User:<name>" after SASL.
  std::string principal = "User:ANONYMOUS";
  // The authorizer's settings from [security], made once for the session's checks.
  authorizer_settings authz;
  // Entries of DescribeGroups and LeaveGroup requests asked of group managers and not
  // answered yet (at most session_groups.cpp's max_group_entries).
  size_t group_entries = 0;
  // [limits] max-parked-fetches-per-connection: this session's partition long polls
  // (session_fetch.cpp; made at its first long poll).
  std::shared_ptr<parked_fetch_budget> connection_parked_fetches;
  bool parking_cap_logged = false;  // the first fetch over a parking cap is logged
  // What run_after() is to do, by timer id.
  std::map<uint64_t, std::function<void()>> timers;
  uint64_t next_timer = 0;
  // protocol="kafka" requests, latencies and error codes (kafka_metrics.hpp).
  kafka_request_metrics metrics;
  static inline const char* name = "kafka-session";
};

using kafka_session_self = kafka_session_actor::stateful_pointer<kafka_session_state>;

// One request being answered. Views in its decoded body point into `frame`.
struct kafka_call {
  uint64_t seq = 0;
  kafka::request_header header;
  std::shared_ptr<const std::string> frame;
  // When the session got the frame: the request's latency runs from here to its answer.
  kafka_request_metrics::clock::time_point arrived{};
};

// -- answering (kafka_session.cpp) ------------------------------------------------------------

// Whether a response type has a top-level error_code.
template <class T, class = void>
struct has_error_code : std::false_type {};
template <class T>
struct has_error_code<T, std::void_t<decltype(std::declval<const T&>().error_code)>>
  : std::true_type {};

// A response frame: size prefix and response header written, body to be appended.
// finish_response() fills in the size.
std::string begin_response(const kafka_call& call);
void send_response(kafka_session_self self, const kafka_call& call, std::string frame);

// Counts the error codes of a response: its top-level error_code (a response without one
// counts nothing), and for Produce and Fetch every partition's.
template <class Response>
void count_response_errors(kafka_session_self self, const kafka_call& call, const Response& x) {
  if constexpr (std::is_same_v<Response, kafka::produce_response>) {
    for (auto& t : x.responses)
      for (auto& p : t.partition_responses)
        self->state.metrics.count_error(call.header.api_key, p.error_code);
  } else if constexpr (std::is_same_v<Response, kafka::fetch_response>) {
    self->state.metrics.count_error(call.header.api_key, x.error_code);
    for (auto& t : x.responses)
      for (auto& p : t.partitions)
        self->state.metrics.count_error(call.header.api_key, p.error_code);
  } else if constexpr (has_error_code<Response>::value) {
    self->state.metrics.count_error(call.header.api_key, static_cast<int16_t>(x.error_code));
  }
}

// Encodes `x` as the body of call's response and sends it.
template <class Response>
void respond(kafka_session_self self, const kafka_call& call, const Response& x) {
  count_response_errors(self, call, x);
  auto frame = begin_response(call);
  kafka::writer w{frame};
  encode(w, call.header.api_version, x);
  send_response(self, call, std::move(frame));
}

// Runs `f` in the session's context after `delay` (one delayed message to itself), unless
// the session ended first (then `f` is destroyed unrun).
void run_after(kafka_session_self self, std::chrono::milliseconds delay,
               std::function<void()> f);

// The request gets no response (acks=0 produce); later answers are not held back by it.
void respond_nothing(kafka_session_self self, const kafka_call& call);

// Closes the connection once the answers of every request before `seq` went out: the
// request `seq` was malformed (Kafka closes, it does not answer), or an acks=0 produce
// failed (`seq` is then the next one: the client learns by the close, as with Kafka).
void close_connection(kafka_session_self self, uint64_t seq, const std::string& why);

// Decodes the body of call's request into `req`; on malformed bytes closes the connection
// and returns false.
template <class Request>
bool decode_body(kafka_session_self self, const kafka_call& call, kafka::reader& r,
                 Request& req) {
  decode(r, call.header.api_version, req);
  if (r.ok())
    return true;
  close_connection(self, call.seq,
                   "malformed request (API " + std::to_string(call.header.api_key) + " v"
                     + std::to_string(call.header.api_version) + "): " + r.error());
  return false;
}

// -- authentication and authorization (session_sasl.cpp, session_access.cpp) -------------------

// Whether a request of this API may be served at the session's stage; if not, closes the
// connection (Kafka closes on a request out of the SASL sequence) and returns false.
bool admit(kafka_session_self self, const kafka_call& call);
// A frame in sasl_stage::raw: a bare SASL token, answered with a bare token.
void on_raw_token(kafka_session_self self, uint64_t seq, const std::string& token);

// Whether the session's principal may do `op` on the resource: always without
// `authorizer = "acl"`, else by the broker's current ACLs (runtime/security/authorizer.hpp).
bool allowed(kafka_session_self self, acl_operation op, acl_resource_type type,
             std::string_view name);
// Kafka's rule for creating a topic: CREATE on the cluster, or on the topic.
bool may_create_topic(kafka_session_self self, std::string_view topic);
// Kafka's rule for an idempotent producer id (KIP-679): IDEMPOTENT_WRITE on the cluster, or
// an ACL that lets the principal WRITE some topic.
bool may_write_idempotently(kafka_session_self self);

// -- handlers, by API family ------------------------------------------------------------------
// Each decodes the body from r (positioned after the header) and answers the call.

void handle_api_versions(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_metadata(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_init_producer_id(kafka_session_self self, const kafka_call& call,
                             kafka::reader& r);
void handle_produce(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_fetch(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_list_offsets(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_create_topics(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_delete_topics(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_describe_configs(kafka_session_self self, const kafka_call& call,
                             kafka::reader& r);
// Topic changes after creation (session_configs.cpp).
void handle_alter_configs(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_incremental_alter_configs(kafka_session_self self, const kafka_call& call,
                                      kafka::reader& r);
void handle_create_partitions(kafka_session_self self, const kafka_call& call,
                              kafka::reader& r);

// ACL administration (session_acls.cpp).
void handle_describe_acls(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_create_acls(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_delete_acls(kafka_session_self self, const kafka_call& call, kafka::reader& r);

// SASL (session_sasl.cpp).
void handle_sasl_handshake(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_sasl_authenticate(kafka_session_self self, const kafka_call& call,
                              kafka::reader& r);

// Consumer groups (session_groups.cpp; offsets in session_offsets.cpp).

// Within the clients' own timeouts (librdkafka waits a session for a Heartbeat): a manager
// that does not answer by then makes the client look for the coordinator again.
constexpr auto group_timeout = std::chrono::seconds{10};
// What a classic client understands for an error of the group path. Timeouts and gone
// actors: the coordinator moved or is starting, the client finds it again.
kafka::error_code group_error(const caf::error& err);

void handle_find_coordinator(kafka_session_self self, const kafka_call& call,
                             kafka::reader& r);
void handle_join_group(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_sync_group(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_heartbeat(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_leave_group(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_offset_commit(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_offset_fetch(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_list_groups(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_describe_groups(kafka_session_self self, const kafka_call& call,
                            kafka::reader& r);
// How many of a request's n group entries (groups, members) may be asked of group managers
// now, under the session's budget (session_groups.cpp); each is given back once answered.
size_t take_group_entries(kafka_session_self self, size_t n);
void give_back_group_entry(kafka_session_self self);

// Group administration (session_group_admin.cpp).
void handle_delete_groups(kafka_session_self self, const kafka_call& call, kafka::reader& r);
void handle_offset_delete(kafka_session_self self, const kafka_call& call, kafka::reader& r);
// session_reassignments.cpp: AlterPartitionReassignments and ListPartitionReassignments.
void handle_alter_partition_reassignments(kafka_session_self self, const kafka_call& call,
                                          kafka::reader& r);
void handle_list_partition_reassignments(kafka_session_self self, const kafka_call& call,
                                         kafka::reader& r);

} // namespace cafka
