#include "cafka/consumer_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/client/consumer_state.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/protocol/batches_end.hpp"

namespace cafka {

namespace {

} // namespace

// Round-robin over partitions.
void deliver(consumer_self self) {
  auto& st = self->state;
  if (st.credit <= 0 || st.parts.empty() || (st.group && st.group->suspended))
    return;
  auto start = st.parts.lower_bound(st.next_delivery);
  std::vector<std::map<topic_partition, partition_position>::iterator> order;
  for (auto i = start; i != st.parts.end(); ++i)
    order.push_back(i);
  for (auto i = st.parts.begin(); i != start; ++i)
    order.push_back(i);
  for (auto i : order) {
    if (st.credit <= 0)
      break;
    if (!i->second.buffered)
      continue;
    --st.credit;
    st.unacked.push_back({i->first, i->second.buffered->records.back().offset + 1,
                          self->clock().now()});
    caf::send_as(caf::actor_cast<caf::actor>(self), st.sink, std::move(*i->second.buffered));
    i->second.buffered.reset();
    auto next = std::next(i);
    st.next_delivery = next == st.parts.end() ? st.parts.begin()->first : next->first;
  }
}

void schedule_retry(consumer_self self) {
  auto& st = self->state;
  if (st.retry_scheduled)
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds{st.cfg.retry_backoff_ms},
                     wake_atom::value);
}

void report_error(consumer_self self, const topic_partition& tp, const caf::error& err) {
  auto& st = self->state;
  auto code = errc_of(err);
  auto i = st.reported.find(tp);
  if (i != st.reported.end() && i->second == code)
    return;
  st.reported[tp] = code;
  auto what = tp.topic.empty() ? std::string{"cluster"} : to_string(tp);
  spdlog::warn("consumer: {}: {}", what, describe(err));
  caf::send_as(caf::actor_cast<caf::actor>(self), st.sink, consumer_error{tp, err});
}

void clear_error(consumer_self self, const topic_partition& tp) {
  self->state.reported.erase(tp);
}

void forget_deliveries(consumer_state& st, const topic_partition& tp) {
  for (auto& d : st.unacked)
    if (d.tp == tp)
      d.tp = topic_partition{};  // still counts one credit, moves nothing
}

namespace {

void on_error(consumer_self self, const topic_partition& tp, const caf::error& err) {
  auto& st = self->state;
  auto code = errc_of(err);
  if (code == errc::offset_out_of_range) {
    auto& pp = st.parts[tp];
    if (st.cfg.auto_offset_reset == offset_reset::none) {
      // Kafka's auto.offset.reset=none: the partition stops until the user seeks.
      report_error(self, tp,
                   make_error(code, "offset " + to_string(pp.offset)
                                      + " is out of range and auto.offset.reset is none ("
                                      + describe(err) + ")"));
      return;
    }
    pp.reset = st.cfg.auto_offset_reset == offset_reset::earliest ? earliest_timestamp
                                                                  : latest_timestamp;
    pp.offset = no_offset;
  } else {
    // A topic or partition that does not exist is worth telling; a leader that moved is not.
    if (code == errc::unknown_topic_or_partition)
      report_error(self, tp, err);
    else
      spdlog::debug("consumer: {}: {}; retrying", to_string(tp), describe(err));
    if (code == errc::none)
      st.link.forget(no_node);
    st.link.refresh_metadata(self, [=](caf::error err) {
      if (err)
        report_error(self, topic_partition{}, err);
      else
        clear_error(self, topic_partition{});
    });
  }
  schedule_retry(self);
}

// Marks tp busy with a new request to leader and returns its id.
uint64_t begin_request(consumer_self self, partition_position& pp, const broker_actor& leader) {
  auto& st = self->state;
  pp.busy = true;
  pp.request = st.next_request++;
  pp.from = leader.address();
  return pp.request;
}

// Ends request id of tp; false if it was already ended (failed by a down message) or tp is
// no longer assigned, in which case the reply is to be dropped.
bool end_request(consumer_self self, const topic_partition& tp, uint64_t id) {
  auto i = self->state.parts.find(tp);
  if (i == self->state.parts.end() || i->second.request != id)
    return false;
  i->second.request = 0;
  i->second.busy = false;
  return true;
}

// A broker of the link went away (cluster_link monitors them): its requests fail now and are
// retried after a metadata refresh, which finds the partitions' new leaders.
void on_broker_down(consumer_self self, const caf::actor_addr& broker) {
  auto& st = self->state;
  st.link.forget(broker);
  std::vector<topic_partition> lost;
  for (auto& kv : st.parts)
    if (kv.second.request != 0 && kv.second.from == broker)
      lost.push_back(kv.first);
  for (auto& tp : lost) {
    end_request(self, tp, st.parts[tp].request);
    on_error(self, tp,
             make_error(errc::broker_not_available, "lost the connection to the leader"));
  }
}

void resolve_position(consumer_self self, const topic_partition& tp, broker_actor leader) {
  auto& st = self->state;
  auto& pp = st.parts[tp];
  auto gen = pp.seek_generation;
  auto id = begin_request(self, pp, leader);
  int64_t ts = pp.reset.value_or(latest_timestamp);
  self->request(leader, std::chrono::milliseconds{st.cfg.request_timeout_ms},
                list_offsets_atom::value, list_offsets_request{tp, ts})
    .then(
      [=](list_offsets_response& resp) {
        if (!end_request(self, tp, id))
          return pump(self);
        auto& st = self->state;
        auto& pp = st.parts[tp];
        if (pp.seek_generation != gen)
          return pump(self);
        pp.offset = resp.offset;
        pp.reset.reset();
        // A member commits the reset position of a partition it read nothing from yet, as
        // Kafka commits its position: the next owner starts there, not at a later end.
        if (st.group && st.processed.count(tp) == 0)
          st.processed[tp] = resp.offset;
        pump(self);
      },
      [=](caf::error& err) {
        if (end_request(self, tp, id))
          on_error(self, tp, err);
      });
}

void fetch(consumer_self self, const topic_partition& tp, broker_actor leader) {
  auto& st = self->state;
  auto& pp = st.parts[tp];
  auto gen = pp.seek_generation;
  auto id = begin_request(self, pp, leader);
  // At least 1 byte: a fetch of max_bytes 0 without a wait reads the offsets only.
  fetch_request req{tp, pp.offset, std::max(1, st.cfg.fetch_max_bytes), st.cfg.fetch_min_bytes,
                    st.cfg.fetch_max_wait_ms};
  auto timeout = std::chrono::milliseconds{st.cfg.request_timeout_ms + st.cfg.fetch_max_wait_ms};
  self->request(leader, timeout, fetch_atom::value, std::move(req))
    .then(
      [=](fetch_response& resp) {
        if (!end_request(self, tp, id))
          return pump(self); // unassigned or failed meanwhile
        auto& pp = self->state.parts[tp];
        if (pp.seek_generation != gen)
          return pump(self);
        clear_error(self, tp);
        consumer_records out;
        out.tp = tp;
        out.high_watermark = resp.high_watermark;
        out.seek_generation = gen;
        if (auto err = decode_records(resp.records, out.records, pp.offset)) {
          spdlog::error("consumer: corrupt fetch response for {}: {}", to_string(tp),
                        describe(err));
          on_error(self, tp, err);
          return;
        }
        if (!out.records.empty()) {
          pp.offset = out.records.back().offset + 1;
          pp.buffered = std::move(out);
          deliver(self);
        } else if (auto end = batches_end(resp.records);
                   end && *end > pp.offset && *end <= resp.high_watermark) {
          pp.offset = *end;  // only compacted batches with nothing at or after the position
        }
        pump(self);
      },
      [=](caf::error& err) {
        if (end_request(self, tp, id))
          on_error(self, tp, err);
      });
}

// Moves tp's position to offset, or (offset no_offset) to what the list-offsets timestamp
// `reset` resolves; answers the new seek generation, or invalid_request if tp is not assigned.
caf::result<uint64_t> seek_position(consumer_self self, const topic_partition& tp,
                                    log_offset offset, std::optional<int64_t> reset) {
  auto& st = self->state;
  auto i = st.parts.find(tp);
  if (i == st.parts.end())
    return make_error(errc::invalid_request,
                      "seek on " + to_string(tp) + ", which is not assigned");
  auto& pp = i->second;
  // Batches fetched before the seek carry an older generation: the sink drops them, and
  // their credit moves no commit position.
  pp.seek_generation = st.next_seek_generation++;
  forget_deliveries(st, tp);
  st.processed.erase(tp);  // the records processed from the new position count
  clear_error(self, tp);
  pp.offset = offset;
  pp.reset = reset;
  pp.buffered.reset();
  pump(self);
  return pp.seek_generation;
}

} // namespace

partition_position new_position(consumer_self self, log_offset offset) {
  partition_position pp;
  pp.seek_generation = self->state.next_seek_generation++;
  if (offset >= log_offset{0}) {
    pp.offset = offset;
  } else {
    auto r = self->state.cfg.auto_offset_reset;
    pp.reset = r == offset_reset::earliest ? earliest_timestamp : latest_timestamp;
  }
  return pp;
}

void pump(consumer_self self) {
  auto& st = self->state;
  if (st.parts.empty() || (st.group && st.group->suspended))
    return;
  if (!st.link.has_metadata()) {
    st.link.refresh_metadata(self, [=](caf::error err) {
      if (err) {
        report_error(self, topic_partition{}, err);
        schedule_retry(self);
      } else {
        clear_error(self, topic_partition{});
        pump(self);
      }
    });
    return;
  }
  for (auto& kv : st.parts) {
    auto tp = kv.first;
    auto& pp = kv.second;
    if (pp.busy || pp.buffered)
      continue;
    pp.busy = true; // reserved while connecting
    st.link.with_leader(self, tp, [=](caf::expected<broker_actor> leader) {
      auto& st = self->state;
      auto i = st.parts.find(tp);
      if (i == st.parts.end())
        return;
      i->second.busy = false;
      if (!leader) {
        on_error(self, tp, leader.error());
        return;
      }
      if (i->second.offset < log_offset{0})
        resolve_position(self, tp, *leader);
      else
        fetch(self, tp, *leader);
    });
  }
}

namespace {

consumer_timers_actor::behavior_type consumer_behavior(consumer_self self, consumer_config cfg,
                                                caf::actor sink, int32_t credit) {
  auto& st = self->state;
  st.cfg = cfg;
  st.sink = std::move(sink);
  st.credit = credit;
  auto servers = parse_bootstrap(cfg.bootstrap);
  if (!servers)
    spdlog::error("consumer: {}", describe(servers.error()));
  st.link = cluster_link{servers ? std::move(*servers) : std::vector<host_port>{},
                         std::chrono::milliseconds{cfg.request_timeout_ms}};
  // The consumer exists for its sink: when the sink goes away, so does the consumer.
  self->monitor(st.sink);
  // A sink without a handler for one of the consumer's notices answers it with an error
  // (unexpected_message); that must not end the consumer.
  self->set_error_handler([=](caf::error& err) {
    spdlog::debug("consumer: the sink answered with an error: {}", describe(err));
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.sink.address()) {
      // Leave the group at once rather than after a session timeout.
      auto reason = dm.reason;
      leave_group(self, [=] { self->quit(reason); });
      return;
    }
    on_coordinator_down(self, dm.source);
    on_broker_down(self, dm.source);
  });
  return {
    [=](assign_atom, std::vector<topic_partition>& tps) {
      auto& st = self->state;
      if (st.group) {
        spdlog::error("consumer: assign() on a consumer subscribed to group '{}' is ignored",
                      st.group->membership.group());
        return;
      }
      std::map<topic_partition, partition_position> next;
      for (auto& tp : tps) {
        auto i = st.parts.find(tp);
        if (i != st.parts.end())
          next.emplace(tp, i->second);
        else
          next.emplace(tp, new_position(self, no_offset));
      }
      for (auto& kv : st.parts)
        if (next.count(kv.first) == 0) {
          forget_deliveries(st, kv.first);
          clear_error(self, kv.first);
        }
      st.parts = std::move(next);
      pump(self);
    },
    [=](subscribe_atom, std::vector<std::string>& topics) {
      subscribe(self, std::move(topics));
    },
    [=](commit_atom, std::vector<partition_offset>& offsets) -> caf::result<caf::ok_atom> {
      auto rp = self->make_response_promise<caf::ok_atom>();
      commit(self, std::move(offsets), [=](caf::error err) mutable {
        if (err)
          rp.deliver(std::move(err));
        else
          rp.deliver(caf::ok_atom::value);
      });
      return rp;
    },
    [=](offset_fetch_atom, std::vector<topic_partition>& tps)
      -> caf::result<std::vector<partition_offset>> {
      auto rp = self->make_response_promise<std::vector<partition_offset>>();
      fetch_committed(self, std::move(tps),
                      [=](caf::expected<std::vector<partition_offset>> r) mutable {
                        if (r)
                          rp.deliver(std::move(*r));
                        else
                          rp.deliver(std::move(r.error()));
                      });
      return rp;
    },
    [=](heartbeat_atom) { heartbeat_now(self); },
    [=](caf::tick_atom) { group_tick(self); },
    [=](seek_atom, topic_partition& tp, log_offset offset) -> caf::result<uint64_t> {
      if (offset < log_offset{0})
        return make_error(errc::invalid_request,
                          "seek on " + to_string(tp) + " to offset " + to_string(offset)
                            + ": an offset is >= 0 (seek_to_beginning and seek_to_end "
                              "move to either end)");
      return seek_position(self, tp, offset, std::nullopt);
    },
    [=](seek_to_beginning_atom, topic_partition& tp) -> caf::result<uint64_t> {
      return seek_position(self, tp, no_offset, earliest_timestamp);
    },
    [=](seek_to_end_atom, topic_partition& tp) -> caf::result<uint64_t> {
      return seek_position(self, tp, no_offset, latest_timestamp);
    },
    [=](credit_atom, int32_t n) {
      self->state.credit += std::max(0, n);
      on_credit(self, std::max(0, n));
      deliver(self);
      pump(self);
    },
    [=](wake_atom) {
      self->state.retry_scheduled = false;
      pump(self);
    },
    [=](partitions_atom, std::string& topic) -> caf::result<int32_t> {
      auto rp = self->make_response_promise<int32_t>();
      self->state.link.refresh_metadata(self, [=](caf::error err) mutable {
        if (err) {
          rp.deliver(std::move(err));
          return;
        }
        auto t = self->state.link.metadata().find_topic(topic);
        if (t == nullptr)
          rp.deliver(make_error(errc::unknown_topic_or_partition,
                                "topic '" + topic + "' does not exist"));
        else
          rp.deliver(static_cast<int32_t>(t->partitions.size()));
      });
      return rp;
    },
    [=](stop_atom) -> caf::result<caf::ok_atom> {
      // A group member commits what its sink processed and leaves first (Kafka's close()).
      auto rp = self->make_response_promise<caf::ok_atom>();
      leave_group(self, [=]() mutable {
        rp.deliver(caf::ok_atom::value);
        self->quit();
      });
      return rp;
    },
  };
}

} // namespace

consumer_actor spawn_consumer(caf::actor_system& sys, consumer_config cfg, caf::actor sink,
                              int32_t initial_credit) {
  return sys.spawn(consumer_behavior, std::move(cfg), std::move(sink), initial_credit);
}

} // namespace cafka
