// Kafka session handlers of reading: Fetch (a long poll over many partitions, within the
// node's and the connection's parked-fetch caps, reading no more than the node's byte budget
// grants; stored batches passed through as they lie on disk) and ListOffsets.

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <set>

#include <caf/actor_clock.hpp>
#include <spdlog/spdlog.h>

#include "actors/kafka/kafka_session_state.hpp"
#include "actors/kafka/session_limits.hpp"
#include "actors/kafka/session_quotas.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/kafka/budget_grant.hpp"
#include "runtime/kafka/fetch_codec.hpp"
#include "runtime/kafka/kafka_error.hpp"
#include "runtime/protocol/batch_totals.hpp"
#include "runtime/kafka/list_offsets_codec.hpp"
#include "runtime/kafka/parked_fetch_budget.hpp"
#include "runtime/replication/consumer_reads.hpp"

namespace cafka {

namespace {

using kafka::error_code;

constexpr auto fetch_margin = std::chrono::seconds{10};
constexpr auto list_offsets_timeout = std::chrono::seconds{10};
// The longest a client may hold a fetch open.
constexpr int32_t max_fetch_wait_ms = 60000;
// Each partition may return at least this much, whatever the response budget.
constexpr int32_t min_partition_bytes = 64 * 1024;

// One Fetch request being answered, in up to three rounds over every partition:
// - first: every partition is read at once; enough bytes (or an error, or max_wait 0) answer;
// - long_poll: every partition is asked again, parked in its replica for max_wait, for one
//   batch only; the first with data, or the end of max_wait with data somewhere, starts the
//   last round (with nothing anywhere, or an error, it answers). The round holds one unit
//   per partition of the node's and the connection's parked-fetch budgets, given back as
//   each replica answers. If the budgets have no room for all of them, or a replica refused
//   to park its partition (park_refused: its max-parked-fetches-per-partition is reached),
//   the session instead waits out max_wait itself (one timer, nothing parked) and then
// - last: reads every partition once more and answers with what is there.
// A read round (first, last) first takes from the node's connection budget the bytes its
// reads may return (`grant`, held until the answer is handed to the connection, which then
// holds the answer's bytes) and reads within what it got: with less than it wanted, each
// partition gets an equal share, at least one batch. With nothing granted, a first round
// waits out max_wait instead (nothing parked), and a last round reads the offsets only.
struct fetch_gather {
  enum class round : uint8_t { first, long_poll, last };
  kafka::fetch_request req;
  kafka::fetch_response response;
  struct slot_index {
    size_t topic;      // in the request and the response
    size_t partition;  // in the request's topic
    size_t answer;     // in the response's topic (duplicates are left out)
  };
  std::vector<slot_index> slots;                 // one per partition fetched
  std::vector<std::string> records;              // per slot: stored batches as read
  int32_t partition_bytes = 0;                   // the most one partition may return
  size_t min_bytes = 1;                          // answered once this much was read
  round current = round::first;
  size_t pending = 0;
  size_t bytes = 0;
  bool park_refused = false;                     // long_poll: a replica did not park
  caf::actor_clock::time_point wait_end;         // long_poll: when max_wait is over
  parked_fetches parked;                         // long_poll: the budgets' units
  std::optional<budget_grant> grant;             // read rounds: the bytes they may read
  bool answered = false;
};

using gather_ptr = std::shared_ptr<fetch_gather>;

// Forgets what the rounds so far read and gives their grant back.
void drop_reads(fetch_gather& g) {
  for (auto& rec : g.records)
    rec = std::string{};
  g.bytes = 0;
  g.grant->release();
}

void answer(kafka_session_self self, const kafka_call& call, const gather_ptr& g) {
  g->answered = true;
  size_t total = 0;
  for (size_t i = 0; i < g->slots.size(); ++i) {
    auto& p = g->response.responses[g->slots[i].topic].partitions[g->slots[i].answer];
    auto& rec = g->records[i];
    // The response's max_bytes: whole partitions beyond it wait for the next fetch, but
    // the first partition with data always goes out (as in Kafka).
    if (total > 0 && total + rec.size() > static_cast<size_t>(std::max(0, g->req.max_bytes)))
      p.records = std::string_view{};
    else
      p.records = std::string_view{rec};
    total += p.records->size();
    // What goes out, once: the replicas leave the session's reads uncounted (asker_counts).
    if (auto& m = self->state.ctx.metrics; m && !p.records->empty()) {
      auto n = count_batches(*p.records);
      m->records_out.inc(n.records);
      m->bytes_out.inc(n.bytes);
    }
  }
  // The response's bytes count against the client's consumer quota; a throttled client
  // gets its data and the throttle time, and its connection reads nothing for that long.
  auto size = kafka::encoded_size(call.header.api_version, g->response);
  g->response.throttle_time_ms =
    record_quota(self, call, kafka::quota_kind::fetch, static_cast<int64_t>(size));
  auto frame = begin_response(call);
  frame.reserve(frame.size() + size);
  kafka::writer w{frame};
  encode(w, call.header.api_version, g->response);
  count_response_errors(self, call, g->response);
  send_response(self, call, std::move(frame));
  // The connection holds the answer now. Late long-poll replies still find the gather: it
  // keeps no records.
  drop_reads(*g);
  g->response = {};
}

void fetch_all(kafka_session_self self, const kafka_call& call, const gather_ptr& g,
               fetch_gather::round r);

std::chrono::milliseconds max_wait(const fetch_gather& g) {
  return std::chrono::milliseconds{std::clamp(g.req.max_wait_ms, 0, max_fetch_wait_ms)};
}

// The last round after `delay`, without anything parked.
void read_again_after(kafka_session_self self, const kafka_call& call, const gather_ptr& g,
                      std::chrono::milliseconds delay) {
  run_after(self, std::max(delay, std::chrono::milliseconds{0}),
            [=] { fetch_all(self, call, g, fetch_gather::round::last); });
}

// The first round read too little: a long poll if the budgets have room for every partition,
// else the session's own wait.
void start_waiting(kafka_session_self self, const kafka_call& call, const gather_ptr& g) {
  auto& st = self->state;
  auto& limits = st.ctx.cfg->limits;
  auto& mine = st.connection_parked_fetches;
  if (!mine)
    mine = std::make_shared<parked_fetch_budget>(limits.max_parked_fetches_per_connection);
  auto n = static_cast<int64_t>(g->slots.size());
  g->wait_end = self->clock().now() + max_wait(*g);
  // The long poll reads again within a new grant, and so does the last round: what the
  // first round read and was granted goes back now, not after the wait.
  drop_reads(*g);
  if (g->parked.take(st.ctx.node_parked_fetches, mine, n)) {
    fetch_all(self, call, g, fetch_gather::round::long_poll);
    return;
  }
  if (!st.parking_cap_logged) {
    st.parking_cap_logged = true;
    bool connection_full = mine->in_use() + n > mine->cap();
    spdlog::info("kafka session {}: a fetch of {} partition(s) is over {} ({}): it waits "
                 "max_wait without parking (logged once per connection)",
                 st.client_host, n,
                 connection_full ? "max-parked-fetches-per-connection" : "max-parked-fetches",
                 connection_full ? limits.max_parked_fetches_per_connection
                                 : limits.max_parked_fetches);
  }
  read_again_after(self, call, g, max_wait(*g));
}

// A partition's reply in round r: fill its slot; the request is answered when the round says.
void on_partition(kafka_session_self self, const kafka_call& call, const gather_ptr& g,
                  fetch_gather::round r, size_t slot, error_code err, fetch_response* resp) {
  if (r == fetch_gather::round::long_poll)
    g->parked.release_one();  // this partition is no longer parked
  if (g->answered || r != g->current)
    return;
  auto& p = g->response.responses[g->slots[slot].topic].partitions[g->slots[slot].answer];
  p.error_code = kafka::code(err);
  if (resp != nullptr) {
    p.high_watermark = resp->high_watermark.value;
    p.last_stable_offset = resp->high_watermark.value;
    p.log_start_offset = resp->log_start_offset.value;
    g->bytes += resp->records.size();
    g->records[slot] = std::move(resp->records);
    g->park_refused = g->park_refused || resp->park_refused;
  }
  --g->pending;
  switch (r) {
    case fetch_gather::round::long_poll:
      if (err != error_code::none)
        answer(self, call, g);
      else if (g->bytes >= g->min_bytes)  // read what is there, within the budget
        fetch_all(self, call, g, fetch_gather::round::last);
      else if (g->pending == 0 && g->park_refused) // the rest of max_wait, unparked
        read_again_after(self, call, g,
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                           g->wait_end - self->clock().now()));
      else if (g->pending == 0 && g->bytes > 0)
        fetch_all(self, call, g, fetch_gather::round::last);
      else if (g->pending == 0)
        answer(self, call, g);
      return;
    case fetch_gather::round::last:
      if (g->pending == 0)
        answer(self, call, g);
      return;
    case fetch_gather::round::first:
      break;
  }
  if (g->pending > 0)
    return;
  bool any_error = false;
  for (auto& t : g->response.responses)
    for (auto& x : t.partitions)
      any_error = any_error || x.error_code != 0;
  if (any_error || g->bytes >= g->min_bytes || g->req.max_wait_ms <= 0)
    answer(self, call, g);
  else
    start_waiting(self, call, g);
}

// Takes from the budget what a read round's partitions may return and gives the most one
// partition may read: partition_bytes if the grant is whole, else an equal share of it (at
// least 1 byte: the replica still returns one batch), 0 if nothing was granted.
int32_t granted_partition_bytes(fetch_gather& g) {
  size_t want = 0;
  for (auto& s : g.slots) {
    auto& p = g.req.topics[s.topic].partitions[s.partition];
    want += static_cast<size_t>(std::clamp(p.partition_max_bytes, 1, g.partition_bytes));
  }
  auto got = g.grant->take_up_to(want);
  if (got >= want)
    return g.partition_bytes;
  if (got == 0)
    return 0;
  return static_cast<int32_t>(std::max<size_t>(1, got / std::max<size_t>(1, g.slots.size())));
}

void fetch_all(kafka_session_self self, const kafka_call& call, const gather_ptr& g,
               fetch_gather::round r) {
  g->current = r;
  g->pending = g->slots.size();
  if (r != fetch_gather::round::first)  // every slot is read again: earlier reads go
    drop_reads(*g);
  bool parks = r == fetch_gather::round::long_poll;
  auto wait = parks ? static_cast<int32_t>(max_wait(*g).count()) : 0;
  // A long poll asks for one batch per partition, within no grant.
  int32_t cap = parks ? 1 : granted_partition_bytes(*g);
  if (cap == 0 && r == fetch_gather::round::first) {
    g->wait_end = self->clock().now() + max_wait(*g);
    read_again_after(self, call, g, max_wait(*g));
    return;
  }
  for (size_t i = 0; i < g->slots.size(); ++i) {
    auto& t = g->req.topics[g->slots[i].topic];
    auto& p = t.partitions[g->slots[i].partition];
    fetch_request f;
    f.tp = topic_partition{t.topic, partition_id{p.partition}};
    f.offset = log_offset{p.fetch_offset};
    f.max_bytes = cap == 0 ? 0 : std::clamp(p.partition_max_bytes, 1, cap);
    f.min_bytes = parks ? 1 : 0;
    f.max_wait_ms = wait;
    f.asker_counts = true;
    auto timeout = std::chrono::milliseconds{wait} + fetch_margin;
    self->request(self->state.ctx.broker, timeout, fetch_atom::value, std::move(f))
      .then(
        [=](fetch_response& x) { on_partition(self, call, g, r, i, error_code::none, &x); },
        [=](const caf::error& err) {
          on_partition(self, call, g, r, i, kafka::to_kafka_error(err), nullptr);
        });
  }
}

} // namespace

void handle_fetch(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  auto g = std::make_shared<fetch_gather>();
  if (!decode_body(self, call, r, g->req))
    return;
  if (!names_within_limits(
        self, call, "Fetch", g->req.topics, [](auto& t) -> auto& { return t.topic; },
        [](auto& t) { return t.partitions.size(); }))
    return;
  // client_host is "/<address>", the address the connection counts its bytes under.
  g->grant.emplace(self->state.ctx.budget, self->state.client_host.substr(1));
  // A partition named twice is fetched once (Kafka keeps a map of them too).
  // A topic the client may not read is answered TOPIC_AUTHORIZATION_FAILED, unread.
  std::set<topic_partition> seen;
  for (size_t ti = 0; ti < g->req.topics.size(); ++ti) {
    auto& t = g->req.topics[ti];
    auto& out = g->response.responses.emplace_back();
    out.topic = t.topic;
    bool may_read = allowed(self, acl_operation::read, acl_resource_type::topic, t.topic);
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      if (!seen.insert(topic_partition{t.topic, partition_id{t.partitions[pi].partition}}).second)
        continue;
      if (may_read)
        g->slots.push_back({ti, pi, out.partitions.size()});
      auto& p = out.partitions.emplace_back();
      p.partition_index = t.partitions[pi].partition;
      if (!may_read)
        p.error_code = kafka::code(error_code::topic_authorization_failed);
    }
  }
  // The response budget (the request's max_bytes, at most the broker's fetch-max-bytes) is
  // shared by the partitions, each allowed at least min_partition_bytes.
  auto budget = std::min(std::max(1, g->req.max_bytes),
                         self->state.ctx.cfg->defaults.fetch_max_bytes);
  auto share = budget / static_cast<int32_t>(std::max<size_t>(1, g->slots.size()));
  g->partition_bytes = std::max(share, min_partition_bytes);
  // A min_bytes above the budget could never be met before max_wait: clamped to it.
  g->min_bytes = min_bytes_to_answer(g->req.min_bytes, budget);
  g->records.resize(g->slots.size());
  // With a refused topic the first round answers (errors end a fetch without a long poll).
  if (g->slots.empty()) {
    answer(self, call, g);
    return;
  }
  fetch_all(self, call, g, fetch_gather::round::first);
}

void handle_list_offsets(kafka_session_self self, const kafka_call& call, kafka::reader& r) {
  kafka::list_offsets_request req;
  if (!decode_body(self, call, r, req)
      || !names_within_limits(
        self, call, "ListOffsets", req.topics, [](auto& t) -> auto& { return t.name; },
        [](auto& t) { return t.partitions.size(); }))
    return;
  struct gather {
    kafka::list_offsets_response response;
    size_t pending = 0;
  };
  auto g = std::make_shared<gather>();
  for (auto& t : req.topics) {
    auto& out = g->response.topics.emplace_back();
    out.name = t.name;
    out.partitions.resize(t.partitions.size());
    g->pending += t.partitions.size();
  }
  if (g->pending == 0) {
    respond(self, call, g->response);
    return;
  }
  for (size_t ti = 0; ti < req.topics.size(); ++ti)
    for (size_t pi = 0; pi < req.topics[ti].partitions.size(); ++pi) {
      auto& p = req.topics[ti].partitions[pi];
      g->response.topics[ti].partitions[pi].partition_index = p.partition_index;
      if (!allowed(self, acl_operation::describe, acl_resource_type::topic,
                   req.topics[ti].name)) {
        g->response.topics[ti].partitions[pi].error_code =
          kafka::code(error_code::topic_authorization_failed);
        if (--g->pending == 0)
          respond(self, call, g->response);
        continue;
      }
      list_offsets_request q{topic_partition{req.topics[ti].name, partition_id{p.partition_index}},
                             p.timestamp};
      auto done = [=] {
        if (--g->pending == 0)
          respond(self, call, g->response);
      };
      self->request(self->state.ctx.broker, list_offsets_timeout, list_offsets_atom::value, q)
        .then(
          [=](const list_offsets_response& x) {
            auto& s = g->response.topics[ti].partitions[pi];
            s.offset = x.offset.value;
            s.timestamp = x.timestamp;
            done();
          },
          [=](const caf::error& err) {
            g->response.topics[ti].partitions[pi].error_code =
              kafka::code(kafka::to_kafka_error(err));
            done();
          });
    }
}

} // namespace cafka
