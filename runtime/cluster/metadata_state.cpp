#include "runtime/cluster/metadata_state.hpp"

#include <algorithm>
#include <cassert>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/access_rules.hpp"
#include "runtime/cluster/leader_election.hpp"
#include "runtime/cluster/reassignment.hpp"
#include "runtime/cluster/topic_config.hpp"

namespace cafka {

void metadata_state::register_broker(const broker_metadata& b) {
  auto i = std::find_if(md_.brokers.begin(), md_.brokers.end(),
                        [&](const broker_metadata& x) { return x.id == b.id; });
  if (i == md_.brokers.end()) {
    md_.brokers.push_back(b);
    std::sort(md_.brokers.begin(), md_.brokers.end(),
              [](const auto& x, const auto& y) { return x.id < y.id; });
  } else {
    *i = b;
  }
  ++md_.version;
}

void metadata_state::set_broker_alive(node_id id, bool alive) {
  for (auto& b : md_.brokers)
    if (b.id == id && b.alive != alive) {
      b.alive = alive;
      ++md_.version;
    }
}

void metadata_state::set_controller(node_id id) {
  if (md_.controller != id) {
    md_.controller = id;
    ++md_.version;
  }
}

caf::error metadata_state::validate_topic_name(const std::string& name) {
  if (name.empty())
    return make_error(errc::invalid_topic, "topic name is empty");
  if (name.size() > max_topic_name_bytes)
    return make_error(errc::invalid_topic, "topic name is longer than "
                                             + std::to_string(max_topic_name_bytes)
                                             + " characters");
  if (name == "." || name == "..")
    return make_error(errc::invalid_topic, "topic name cannot be '.' or '..'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-';
    if (!ok)
      return make_error(errc::invalid_topic, "topic name '" + name
                                               + "' may only contain [a-zA-Z0-9._-]");
  }
  return {};
}

caf::error metadata_state::check_create(const cluster_metadata& md,
                                        const create_topic_request& req) {
  if (auto err = validate_topic_name(req.name))
    return err;
  if (md.find_topic(req.name) != nullptr)
    return make_error(errc::topic_already_exists, "topic '" + req.name + "' already exists");
  if (req.partitions < 1 || req.partitions > max_partitions)
    return make_error(errc::invalid_partitions,
                      "partitions must be between 1 and " + std::to_string(max_partitions)
                        + ", got " + std::to_string(req.partitions));
  auto live = placeable_brokers(md).size();
  if (req.replication_factor < 1)
    return make_error(errc::invalid_replication_factor,
                      "replication factor must be at least 1, got "
                        + std::to_string(req.replication_factor));
  if (static_cast<size_t>(req.replication_factor) > live)
    return make_error(errc::invalid_replication_factor,
                      "replication factor " + std::to_string(req.replication_factor)
                        + " is larger than the number of available brokers ("
                        + std::to_string(live) + ")");
  auto configs = req.configs;
  return validate_topic_configs(configs);
}

std::vector<partition_metadata> metadata_state::place(int32_t first, int32_t count, int32_t rf,
                                                      size_t start) const {
  auto live = placeable_brokers(md_);
  auto n = live.size();
  std::vector<partition_metadata> out;
  for (int32_t p = first; p < first + count; ++p) {
    partition_metadata pm;
    pm.id = partition_id{p};
    for (int32_t r = 0; r < rf; ++r)
      pm.replicas.push_back(live[(start + static_cast<size_t>(p + r)) % n]);
    pm.leader = pm.replicas.front();
    pm.epoch = leader_epoch{0};
    pm.isr = pm.replicas;
    out.push_back(std::move(pm));
  }
  return out;
}

caf::expected<topic_metadata> metadata_state::create_topic(const create_topic_request& req) {
  if (auto err = check_create(md_, req))
    return err;
  topic_metadata t;
  t.name = req.name;
  t.configs = req.configs;
  static_cast<void>(validate_topic_configs(t.configs));  // sorts; checked above
  // Start each topic's placement at a different broker so leaders spread across topics.
  auto start = md_.topics.size() % placeable_brokers(md_).size();
  t.partitions = place(0, req.partitions, req.replication_factor, start);
  md_.topics.push_back(t);
  ++md_.version;
  return t;
}

caf::expected<std::vector<topic_config_entry>>
metadata_state::check_alter_configs(const cluster_metadata& md,
                                    const alter_topic_configs_request& req) {
  auto t = md.find_topic(req.topic);
  if (t == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "topic '" + req.topic + "' does not exist");
  return apply_config_ops(req.topic, t->configs, req.ops, req.replace);
}

caf::error metadata_state::alter_topic_configs(const alter_topic_configs_request& req) {
  auto configs = check_alter_configs(md_, req);
  if (!configs)
    return std::move(configs.error());
  if (req.validate_only)
    return {};
  for (auto& t : md_.topics)
    if (t.name == req.topic && t.configs != *configs) {
      t.configs = std::move(*configs);
      ++md_.version;
    }
  return {};
}

caf::error metadata_state::check_create_partitions(const cluster_metadata& md,
                                                   const create_partitions_request& req) {
  auto t = md.find_topic(req.topic);
  if (t == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "topic '" + req.topic + "' does not exist");
  auto have = static_cast<int32_t>(t->partitions.size());
  if (req.count <= have)
    return make_error(errc::invalid_partitions,
                      "Topic currently has " + std::to_string(have)
                        + " partitions, which is higher than the requested "
                        + std::to_string(req.count) + ".");
  if (req.count > max_partitions)
    return make_error(errc::invalid_partitions,
                      "partitions must be between 1 and " + std::to_string(max_partitions)
                        + ", got " + std::to_string(req.count));
  // A moving partition lists its leaving replicas too: its target is the topic's factor.
  auto rf = t->partitions.empty() ? 1 : target_replicas(t->partitions.front()).size();
  auto live = placeable_brokers(md).size();
  if (rf > live)
    return make_error(errc::invalid_replication_factor,
                      "replication factor " + std::to_string(rf)
                        + " is larger than the number of available brokers ("
                        + std::to_string(live) + ")");
  return {};
}

caf::expected<topic_metadata>
metadata_state::create_partitions(const create_partitions_request& req) {
  if (auto err = check_create_partitions(md_, req))
    return err;
  auto i = std::find_if(md_.topics.begin(), md_.topics.end(),
                        [&](const topic_metadata& t) { return t.name == req.topic; });
  if (req.validate_only)
    return *i;
  auto have = static_cast<int32_t>(i->partitions.size());
  auto rf = static_cast<int32_t>(target_replicas(i->partitions.front()).size());
  // Continue where the topic's own placement would go: its first partition's leader.
  size_t start = 0;
  for (auto b : placeable_brokers(md_))
    if (b < i->partitions.front().replicas.front())
      ++start;
  for (auto& pm : place(have, req.count - have, rf, start))
    i->partitions.push_back(std::move(pm));
  ++md_.version;
  return *i;
}

caf::error metadata_state::delete_topic(const std::string& name) {
  auto i = std::find_if(md_.topics.begin(), md_.topics.end(),
                        [&](const topic_metadata& t) { return t.name == name; });
  if (i == md_.topics.end())
    return make_error(errc::unknown_topic_or_partition, "topic '" + name + "' does not exist");
  md_.topics.erase(i);
  ++md_.version;
  return {};
}

caf::expected<partition_metadata> metadata_state::alter_isr(const alter_isr_request& req) {
  auto name = req.tp.topic + "-" + to_string(req.tp.partition);
  partition_metadata* p = nullptr;
  for (auto& t : md_.topics)
    if (t.name == req.tp.topic)
      for (auto& pm : t.partitions)
        if (pm.id == req.tp.partition)
          p = &pm;
  if (p == nullptr)
    return make_error(errc::unknown_topic_or_partition,
                      "alter_isr: partition " + name + " does not exist");
  if (req.leader != p->leader || req.epoch != p->epoch
      || req.partition_epoch != p->partition_epoch)
    return make_error(errc::stale_epoch,
                      "alter_isr for " + name + " from leader " + to_string(req.leader)
                        + " at leader epoch " + to_string(req.epoch) + ", partition epoch "
                        + to_string(req.partition_epoch)
                        + " does not match the partition: leader " + to_string(p->leader)
                        + ", leader epoch " + to_string(p->epoch) + ", partition epoch "
                        + to_string(p->partition_epoch));
  auto has = [](const std::vector<node_id>& xs, node_id x) {
    return std::find(xs.begin(), xs.end(), x) != xs.end();
  };
  if (req.isr.empty())
    return make_error(errc::invalid_request, "alter_isr for " + name + ": the ISR is empty");
  if (!has(req.isr, p->leader))
    return make_error(errc::invalid_request, "alter_isr for " + name
                                               + ": the ISR does not contain the leader "
                                               + to_string(p->leader));
  for (size_t i = 0; i < req.isr.size(); ++i) {
    auto r = req.isr[i];
    if (!has(p->replicas, r))
      return make_error(errc::invalid_request, "alter_isr for " + name + ": broker "
                                                 + to_string(r) + " is not a replica");
    if (std::find(req.isr.begin() + static_cast<std::ptrdiff_t>(i) + 1, req.isr.end(), r)
        != req.isr.end())
      return make_error(errc::invalid_request, "alter_isr for " + name + ": broker "
                                                 + to_string(r) + " is listed twice");
    auto b = md_.find_broker(r);
    if (!has(p->isr, r) && (b == nullptr || !b->alive))
      return make_error(errc::invalid_request, "alter_isr for " + name
                                                 + ": ineligible replica " + to_string(r)
                                                 + " (fenced) cannot join the ISR");
  }
  std::vector<node_id> isr;
  for (auto r : p->replicas)
    if (has(req.isr, r))
      isr.push_back(r);
  // Invariant: the new ISR is the requested set, in replica order.
  assert(isr.size() == req.isr.size());
  p->isr = std::move(isr);
  p->partition_epoch += 1;
  complete_reassignment(md_, *p);
  ++md_.version;
  return *p;
}

std::vector<node_id> metadata_state::placeable_brokers(const cluster_metadata& md) {
  std::vector<node_id> out;
  for (auto& b : md.brokers)
    if (b.alive && !std::binary_search(md.draining.begin(), md.draining.end(), b.id))
      out.push_back(b.id);
  return out;
}

caf::error metadata_state::decommission(const decommission_request& req) {
  if (req.cancel) {
    if (!recommission_broker(md_, req.id))
      return make_error(errc::invalid_request,
                        "broker " + to_string(req.id) + " is not being decommissioned");
  } else if (auto err = decommission_broker(md_, req.id)) {
    return err;
  }
  if (req.throttle >= 0)
    md_.reassignment_throttle = req.throttle;
  ++md_.version;
  return {};
}

producer_id metadata_state::allocate_producer_id() {
  auto id = md_.next_producer_id;
  ++md_.next_producer_id;
  return id;
}

apply_result metadata_state::apply(const metadata_command& cmd) {
  apply_result res;
  if (auto x = std::get_if<register_broker_cmd>(&cmd)) {
    auto b = x->broker;
    b.alive = true;
    if (md_.cluster_id.empty())
      md_.cluster_id = x->cluster_id;
    register_broker(b);
    res.unclean_elected = on_broker_unfenced(md_, b.id, x->unclean);
    complete_moves();
  } else if (auto x = std::get_if<fence_broker_cmd>(&cmd)) {
    auto b = md_.find_broker(x->id);
    if (b == nullptr || !b->alive || (x->incarnation != 0 && b->incarnation != x->incarnation)) {
      res.error = make_error(errc::stale_epoch, "broker " + to_string(x->id)
                                                  + " is not alive in that incarnation");
      return res;
    }
    set_broker_alive(x->id, false); // bumps the version
    res.unclean_elected = on_broker_fenced(md_, x->id, x->unclean);
    complete_moves();
  } else if (auto x = std::get_if<unfence_broker_cmd>(&cmd)) {
    auto b = md_.find_broker(x->id);
    if (b == nullptr || b->alive || b->incarnation != x->incarnation) {
      res.error = make_error(errc::stale_epoch, "broker " + to_string(x->id)
                                                  + " cannot be unfenced in that incarnation");
      return res;
    }
    set_broker_alive(x->id, true); // bumps the version
    res.unclean_elected = on_broker_unfenced(md_, x->id, x->unclean);
    complete_moves();
  } else if (auto x = std::get_if<create_topic_cmd>(&cmd)) {
    auto t = create_topic(x->req);
    if (!t)
      res.error = std::move(t.error());
    else
      res.topic = std::move(*t);
  } else if (auto x = std::get_if<delete_topic_cmd>(&cmd)) {
    res.error = delete_topic(x->name);
  } else if (auto x = std::get_if<alter_isr_cmd>(&cmd)) {
    auto p = alter_isr(x->req);
    if (!p)
      res.error = std::move(p.error());
    else
      res.partition = std::move(*p);
  } else if (auto x = std::get_if<alter_topic_configs_cmd>(&cmd)) {
    res.error = alter_topic_configs(x->req);
  } else if (auto x = std::get_if<create_partitions_cmd>(&cmd)) {
    auto t = create_partitions(x->req);
    if (!t)
      res.error = std::move(t.error());
    else
      res.topic = std::move(*t);
  } else if (auto x = std::get_if<alter_reassignments_cmd>(&cmd)) {
    bool changed = false;
    for (auto& r : x->req.partitions) {
      auto err = apply_reassignment(md_, r);
      changed = changed || !err;
      res.reassignments.push_back({r.tp, std::move(err)});
    }
    if (x->req.throttle >= 0 && md_.reassignment_throttle != x->req.throttle) {
      md_.reassignment_throttle = x->req.throttle;
      changed = true;
    }
    if (changed)
      ++md_.version;
  } else if (auto x = std::get_if<decommission_broker_cmd>(&cmd)) {
    res.error = decommission(x->req);
  } else if (std::holds_alternative<allocate_producer_id_cmd>(cmd)) {
    res.producer_id = allocate_producer_id();
  } else if (std::holds_alternative<elect_preferred_cmd>(cmd)) {
    res.preferred_elected = elect_preferred_leaders(md_);
    if (!res.preferred_elected.empty())
      ++md_.version;
  } else {
    return apply_access(cmd);
  }
  clear_idle_throttle();
  return res;
}

void metadata_state::complete_moves() {
  for (auto& t : md_.topics)
    for (auto& p : t.partitions)
      static_cast<void>(complete_reassignment(md_, p));
}

void metadata_state::clear_idle_throttle() {
  if (md_.reassignment_throttle == 0)
    return;
  for (auto& t : md_.topics)
    for (auto& p : t.partitions)
      if (is_reassigning(p))
        return;
  md_.reassignment_throttle = 0;
  ++md_.version;
}

apply_result metadata_state::apply_access(const metadata_command& cmd) {
  apply_result res;
  bool changed = false;
  if (auto x = std::get_if<upsert_credential_cmd>(&cmd)) {
    res.error = check_credential(access_, x->credential);
    changed = !res.error && upsert_credential(access_, x->credential);
  } else if (auto x = std::get_if<delete_credential_cmd>(&cmd)) {
    res.error = check_delete_credential(access_, x->user, x->mechanism);
    if (!res.error) {
      delete_credential(access_, x->user, x->mechanism);
      changed = true;
    }
  } else if (auto x = std::get_if<create_acls_cmd>(&cmd)) {
    res.error = check_create_acls(access_, x->bindings);
    changed = !res.error && create_acls(access_, x->bindings) > 0;
  } else if (auto x = std::get_if<delete_acls_cmd>(&cmd)) {
    res.deleted_acls = delete_acls(access_, x->filters);
    for (auto& removed : res.deleted_acls)
      changed = changed || !removed.empty();
  }
  if (changed) {
    ++access_.version;
    ++md_.version;
  }
  return res;
}

} // namespace cafka
