#include "actors/sim/sim_world.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "cafka/consumer_actor.hpp"
#include "cafka/producer_actor.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka::sim_detail {

caf::behavior sink_behavior(caf::event_based_actor* self, world_ptr w, bool reader) {
  return {
    [=](consumer_records& batch) {
      for (auto& r : batch.records) {
        if (reader) {
          w->checker.logged(batch.tp, r.offset, r.value);
          ++w->logged;
        } else {
          w->checker.processed(r.value);
          ++w->processed;
        }
      }
      self->send(caf::actor_cast<consumer_actor>(self->current_sender()), credit_atom::value,
                 int32_t{1});
    },
    [](partitions_assigned&) {},
    [](partitions_revoked&) {},
    [](consumer_failed&) {},
    [](consumer_error&) {},  // the consumer retries; the checker judges the outcome
  };
}


void start_workload(caf::event_based_actor* self, world_ptr w) {
  auto& sys = self->system();
  producer_config pc;
  pc.bootstrap = bootstrap(*w);
  pc.enable_idempotence = true;
  w->producer = spawn_producer(sys, pc);
  consumer_config cc;
  cc.bootstrap = bootstrap(*w);
  cc.group_id = "sim-group";
  cc.auto_offset_reset = offset_reset::earliest;
  cc.auto_commit_interval_ms = 500;
  for (int i = 0; i < w->opts.consumers; ++i) {
    w->sinks.push_back(sys.spawn(sink_behavior, w, false));
    w->members.push_back(spawn_consumer(sys, cc, w->sinks.back(), 4));
    self->send(w->members.back(), subscribe_atom::value, std::vector<std::string>{topic});
  }
  w->t0 = now_ms() - epoch_base_ms;
  for (size_t i = 0; i < w->schedule.size(); ++i) {
    auto& f = w->schedule[i];
    self->delayed_send(self, milliseconds{f.at_ms}, caf::atom("inject"), static_cast<uint64_t>(i));
    self->delayed_send(self, milliseconds{f.at_ms + f.duration_ms}, caf::atom("undo"),
                       static_cast<uint64_t>(i));
  }
}

void send_records(caf::event_based_actor* self, world_ptr w, int n) {
  for (int k = 0; k < n; ++k) {
    producer_record r;
    r.topic = topic;
    r.key = "k" + std::to_string(w->sent % 31);
    std::string value = "v" + std::to_string(w->sent);
    r.value = value;
    ++w->sent;
    ++w->outstanding;
    self->request(w->producer, milliseconds{300000}, send_atom::value, std::move(r))
      .then(
        [w, value](delivery_report& rep) {
          --w->outstanding;
          if (rep.error) {
            ++w->failed;
            return;
          }
          ++w->acked;
          w->checker.acked(value, rep.tp, rep.offset);
          w->digest = fnv(w->digest, value + "@" + to_string(rep.tp.partition) + ":"
                                       + to_string(rep.offset));
        },
        [w](caf::error&) {
          --w->outstanding;
          ++w->failed;
        });
  }
}

void sample_leaders(caf::event_based_actor* self, world_ptr w) {
  for (auto& [id, n] : w->nodes) {
    if (!n.up || !n.broker)
      continue;
    self->request(n.broker, ask_timeout, metadata_atom::value, metadata_request{})
      .then(
        [w](cluster_metadata& md) {
          auto t = md.find_topic(topic);
          if (t == nullptr)
            return;
          for (auto& p : t->partitions) {
            if (p.leader == no_node)
              continue;
            topic_partition tp{topic, p.id};
            w->checker.leader(tp, p.epoch, p.leader);
            if (w->epochs_seen.emplace(tp, p.epoch).second)
              w->digest = fnv(w->digest, to_string(p.id) + "e"
                                           + to_string(p.epoch) + "l"
                                           + to_string(p.leader));
          }
        },
        [](caf::error&) {});
  }
}

// I4's second half: the group's committed offsets, as its first member sees them.
void sample_commits(caf::event_based_actor* self, world_ptr w) {
  if (w->members.empty())
    return;
  self->request(w->members.front(), ask_timeout, offset_fetch_atom::value,
                std::vector<topic_partition>{})
    .then(
      [w](std::vector<partition_offset>& offs) {
        for (auto& po : offs)
          if (po.offset >= log_offset{0})
            w->checker.committed(po.tp, po.offset);
      },
      [](caf::error&) {});
}

bool replicas_agree(world& w) {
  for (int32_t p = 0; p < w.opts.partitions; ++p) {
    std::string first;
    bool have = false;
    for (auto& n : w.cfg.nodes) {
      auto dir = w.cfg.node_dir(n.id) + "/" + topic + "-" + std::to_string(p);
      if (!std::filesystem::exists(dir))
        continue;
      auto bytes = segment_bytes(dir);
      if (!have) {
        first = std::move(bytes);
        have = true;
      } else if (bytes != first) {
        return false;
      }
    }
  }
  return true;
}

void record_replicas(world& w) {
  for (int32_t p = 0; p < w.opts.partitions; ++p)
    for (auto& n : w.cfg.nodes) {
      auto dir = w.cfg.node_dir(n.id) + "/" + topic + "-" + std::to_string(p);
      if (std::filesystem::exists(dir))
        w.checker.replica_log({topic, partition_id{p}}, n.id, segment_bytes(dir));
    }
}

} // namespace cafka::sim_detail
