// Kafka session handler of Produce: one produce request per partition to this node's broker
// (which serves only the partitions it leads), answered together; acks=0 gets no answer.
// Produce v0-v2 (message sets of magic 0/1) gets UNSUPPORTED_FOR_MESSAGE_FORMAT everywhere.

#include <algorithm>
#include <chrono>
#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "actors/kafka/session_limits.hpp"
#include "actors/kafka/session_quotas.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/produce_codec.hpp"

namespace cafka {

namespace {

using kafka::error_code;
using kafka::produce_response;

// Beyond the request's own timeout: the broker answers request_timed_out itself first.
constexpr auto produce_margin = std::chrono::seconds{5};
// The longest a client may make a produce wait for its acknowledgements.
constexpr int32_t max_produce_timeout_ms = 300000;

// The answers of one Produce request, filled in as the partitions reply.
struct produce_gather {
  produce_response response;
  size_t pending = 0;
  bool silent = false;  // acks=0: nothing is sent back
  int64_t bytes = 0;    // the request's record bytes, refused partitions included (as Kafka)
};

using gather_ptr = std::shared_ptr<produce_gather>;

// Answers the request once every partition replied: the record bytes count against the
// client's producer quota, whose throttle time the response carries. acks=0 gets no answer,
// but a failure closes the connection after it, as Kafka does, so the client refreshes its
// metadata.
void finish(kafka_session_self self, const kafka_call& call, const gather_ptr& g) {
  g->response.throttle_time_ms = record_quota(self, call, kafka::quota_kind::produce, g->bytes);
  if (!g->silent) {
    respond(self, call, g->response);
    return;
  }
  count_response_errors(self, call, g->response);  // acks=0: counted though not sent
  respond_nothing(self, call);
  for (auto& t : g->response.responses)
    for (auto& p : t.partition_responses)
      if (p.error_code != 0) {
        close_connection(self, call.seq + 1,
                         "acks=0 produce to " + t.name + "-" + std::to_string(p.index)
                           + " failed with Kafka error " + std::to_string(p.error_code));
        return;
      }
}

// The last partition's answer answers the request.
void complete_one(kafka_session_self self, const kafka_call& call, const gather_ptr& g) {
  if (--g->pending == 0)
    finish(self, call, g);
}

// The error a partition gets before anything is sent to the broker, or none.
error_code precheck(int16_t version, const kafka::produce_request& req,
                    const std::string& topic, const std::optional<std::string_view>& records) {
  if (version < 3)
    return error_code::unsupported_for_message_format;  // magic 0/1 message sets
  if (req.acks != 0 && req.acks != 1 && req.acks != -1)
    return error_code::invalid_required_acks;
  if (topic == group::offsets_topic)
    return error_code::invalid_topic_exception;  // internal: only brokers write it
  if (req.transactional_id)
    return error_code::invalid_request;  // no transactions yet
  if (!records || records->empty())
    return error_code::corrupt_message;
  return error_code::none;
}

void produce_partition(kafka_session_self self, const kafka_call& call, const gather_ptr& g,
                       const kafka::produce_request& req, size_t ti, size_t pi) {
  auto& part = req.topic_data[ti].partition_data[pi];
  auto& slot = g->response.responses[ti].partition_responses[pi];
  slot.index = part.index;
  auto& topic = req.topic_data[ti].name;
  auto pre = allowed(self, acl_operation::write, acl_resource_type::topic, topic)
               ? precheck(call.header.api_version, req, topic, part.records)
               : error_code::topic_authorization_failed;
  if (pre != error_code::none) {
    slot.error_code = kafka::code(pre);
    complete_one(self, call, g);
    return;
  }
  produce_request p;
  p.tp = topic_partition{topic, partition_id{part.index}};
  p.acks = req.acks;
  p.timeout_ms = std::clamp(req.timeout_ms, 0, max_produce_timeout_ms);
  p.batch = std::string{*part.records};
  auto timeout = std::chrono::milliseconds{p.timeout_ms} + produce_margin;
  self->request(self->state.ctx.broker, timeout, produce_atom::value, std::move(p))
    .then(
      [=](const cafka::produce_response& r) {
        auto& s = g->response.responses[ti].partition_responses[pi];
        s.base_offset = r.base_offset.value;
        s.log_start_offset = r.log_start_offset.value;
        s.log_append_time_ms = r.log_append_time_ms;
        complete_one(self, call, g);
      },
      [=](const caf::error& err) {
        auto& s = g->response.responses[ti].partition_responses[pi];
        s.error_code = kafka::code(kafka::to_kafka_error(err));
        complete_one(self, call, g);
      });
}

} // namespace

void handle_produce(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::produce_request req;
  if (!decode_body(self, call, r, req)
      || !names_within_limits(
        self, call, "Produce", req.topic_data, [](auto& t) -> auto& { return t.name; },
        [](auto& t) { return t.partition_data.size(); }))
    return;
  auto g = std::make_shared<produce_gather>();
  g->silent = req.acks == 0;
  for (auto& t : req.topic_data) {
    g->pending += t.partition_data.size();
    auto& tr = g->response.responses.emplace_back();
    tr.name = t.name;
    tr.partition_responses.resize(t.partition_data.size());
    for (auto& p : t.partition_data)
      g->bytes += p.records ? static_cast<int64_t>(p.records->size()) : 0;
  }
  if (g->pending == 0) {
    finish(self, call, g);
    return;
  }
  // The views in req point into call.frame, which every reply handler keeps alive.
  for (size_t ti = 0; ti < req.topic_data.size(); ++ti)
    for (size_t pi = 0; pi < req.topic_data[ti].partition_data.size(); ++pi)
      produce_partition(self, call, g, req, ti, pi);
}

} // namespace cafka
