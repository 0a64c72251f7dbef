// `cafka topics create|list|describe|delete|alter-config|add-partitions`: topic
// administration through any broker.
#include <algorithm>
#include <iostream>

#include <caf/scoped_actor.hpp>

#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

constexpr auto admin_timeout = std::chrono::seconds{30};

struct topics_options {
  connection_options conn;
  std::string topic;
  int32_t partitions = -1;
  int32_t replication_factor = -1;
  std::vector<std::string> configs;  // create --topic-config, alter-config --add-config
  std::vector<std::string> delete_configs;  // alter-config --delete-config
  bool under_replicated = false;  // describe --under-replicated-partitions
  bool unavailable = false;       // describe --unavailable-partitions
};

// Kafka's config list syntax (kafka-configs --add-config): "k1=v1,k2=[a,b]", brackets around
// a list value. Several occurrences of the option add up. errc::invalid_config for an item
// without "=".
caf::expected<std::vector<topic_config_entry>>
parse_configs(const std::vector<std::string>& args) {
  std::vector<topic_config_entry> out;
  for (auto& arg : args) {
    size_t i = 0;
    while (i < arg.size()) {
      auto eq = arg.find('=', i);
      if (eq == std::string::npos)
        return make_error(errc::invalid_config,
                          "config '" + arg.substr(i) + "' is not of the form name=value");
      topic_config_entry e{arg.substr(i, eq - i), {}};
      auto j = eq + 1;
      if (j < arg.size() && arg[j] == '[') {
        auto close = arg.find(']', j);
        if (close == std::string::npos)
          return make_error(errc::invalid_config, "config '" + e.name + "': unclosed '['");
        e.value = arg.substr(j + 1, close - j - 1);
        j = close + 1;
      } else {
        auto comma = arg.find(',', j);
        e.value = arg.substr(j, comma == std::string::npos ? std::string::npos : comma - j);
        j = comma == std::string::npos ? arg.size() : comma;
      }
      out.push_back(std::move(e));
      i = j < arg.size() && arg[j] == ',' ? j + 1 : j;
    }
  }
  return out;
}

std::string join_configs(const std::vector<topic_config_entry>& xs) {
  std::string out;
  for (auto& e : xs)
    out += (out.empty() ? "" : ",") + e.name + "=" + e.value;
  return out;
}

std::string join(const std::vector<node_id>& ids) {
  std::string out;
  for (auto& id : ids) {
    if (!out.empty())
      out += ',';
    out += to_string(id);
  }
  return out;
}

// Runs f(self, broker) against the bootstrap broker; returns the exit code.
template <class F>
int with_broker(const topics_options& o, F f) {
  return with_bootstrap_broker(o.conn, std::move(f));
}

int create(const topics_options& o) {
  auto configs = parse_configs(o.configs);
  if (!configs)
    return fail(describe(configs.error()));
  return with_broker(o, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    create_topic_request req{o.topic, o.partitions, o.replication_factor, *configs};
    self->request(b, admin_timeout, create_topic_atom::value, req)
      .receive([&](topic_metadata& t) {
                 std::cout << "Created topic " << t.name << " with " << t.partitions.size()
                           << " partition(s).\n";
               },
               [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

int list(const topics_options& o) {
  return with_broker(o, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    self->request(b, admin_timeout, metadata_atom::value, metadata_request{})
      .receive(
        [&](cluster_metadata& md) {
          // The metadata keeps creation order; a listing is by name, as Kafka's.
          std::vector<std::string> names;
          for (auto& t : md.topics)
            names.push_back(t.name);
          std::sort(names.begin(), names.end());
          for (auto& n : names)
            std::cout << n << "\n";
        },
        [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

// A describe line of one partition, as kafka-topics prints it.
std::string partition_line(const std::string& topic, const partition_metadata& p) {
  return "\tTopic: " + topic + "\tPartition: " + to_string(p.id) + "\tLeader: "
         + (p.leader == no_node ? std::string{"none"} : to_string(p.leader))
         + "\tReplicas: " + join(p.replicas) + "\tIsr: " + join(p.isr)
         + (p.adding_replicas.empty() ? std::string{}
                                      : "\tAdding Replicas: " + join(p.adding_replicas))
         + (p.removing_replicas.empty() ? std::string{}
                                        : "\tRemoving Replicas: " + join(p.removing_replicas))
         + "\n";
}

// kafka-topics --under-replicated-partitions: fewer in-sync replicas than the replication
// factor, which during a move is the replica set before it (the adding ones left out).
bool under_replicated(const partition_metadata& p) {
  return p.isr.size() < p.replicas.size() - p.adding_replicas.size();
}

// kafka-topics --unavailable-partitions: no leader, or one that is not a live broker.
bool unavailable(const partition_metadata& p, const cluster_metadata& md) {
  if (p.leader == no_node)
    return true;
  auto b = md.find_broker(p.leader);
  return b == nullptr || !b->alive;
}

int describe_topics(const topics_options& o) {
  return with_broker(o, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    metadata_request req;
    if (!o.topic.empty())
      req.topics.push_back(o.topic);
    self->request(b, admin_timeout, metadata_atom::value, req)
      .receive(
        [&](cluster_metadata& md) {
          if (!o.topic.empty() && md.topics.empty()) {
            rc = fail("unknown_topic_or_partition: topic '" + o.topic + "' does not exist");
            return;
          }
          // With a filter only the partitions it matches, without topic lines (kafka-topics).
          bool filtered = o.under_replicated || o.unavailable;
          for (auto& t : md.topics) {
            if (!filtered) {
              // A moving partition also lists its leaving replicas.
              auto rf = t.partitions.empty()
                          ? 0
                          : t.partitions.front().replicas.size()
                              - t.partitions.front().removing_replicas.size();
              std::cout << "Topic: " << t.name << "\tPartitionCount: " << t.partitions.size()
                        << "\tReplicationFactor: " << rf
                        << "\tConfigs: " << join_configs(t.configs) << "\n";
            }
            for (auto& p : t.partitions)
              if (!filtered || (o.under_replicated && under_replicated(p))
                  || (o.unavailable && unavailable(p, md)))
                std::cout << partition_line(t.name, p);
          }
        },
        [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

int remove(const topics_options& o) {
  return with_broker(o, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    self->request(b, admin_timeout, delete_topic_atom::value, delete_topic_request{o.topic})
      .receive([&](caf::ok_atom) { std::cout << "Deleted topic " << o.topic << ".\n"; },
               [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

int alter_config(const topics_options& o) {
  auto configs = parse_configs(o.configs);
  if (!configs)
    return fail(describe(configs.error()));
  if (configs->empty() && o.delete_configs.empty())
    return fail("invalid_config: give --add-config or --delete-config");
  alter_topic_configs_request req{o.topic, {}, false, false};
  for (auto& e : *configs)
    req.ops.push_back({e.name, config_op_kind::set, e.value});
  for (auto& name : o.delete_configs)
    req.ops.push_back({name, config_op_kind::remove, {}});
  return with_broker(o, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    self->request(b, admin_timeout, alter_configs_atom::value, req)
      .receive([&](caf::ok_atom) {
                 std::cout << "Completed updating config for topic " << o.topic << ".\n";
               },
               [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

int add_partitions(const topics_options& o) {
  return with_broker(o, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    create_partitions_request req{o.topic, o.partitions, false};
    self->request(b, admin_timeout, create_partitions_atom::value, req)
      .receive([&](topic_metadata& t) {
                 std::cout << "Topic " << t.name << " now has " << t.partitions.size()
                           << " partition(s).\n";
               },
               [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

} // namespace

void add_topics_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<topics_options>();
  auto cmd = app.add_subcommand("topics", "create, list, describe, alter and delete topics");
  cmd->require_subcommand(1);
  auto create_cmd = cmd->add_subcommand("create", "create a topic");
  add_connection_options(*create_cmd, o->conn);
  create_cmd->add_option("--topic", o->topic, "topic name")->required();
  create_cmd->add_option("--partitions", o->partitions,
                         "number of partitions (default: num-partitions)")
    ->check(CLI::Range(1, 10000));
  create_cmd->add_option("--replication-factor", o->replication_factor,
                         "replicas per partition (default: default-replication-factor)")
    ->check(CLI::Range(1, 100));
  create_cmd->add_option("--topic-config", o->configs,
                         "topic config overrides k1=v1,k2=[a,b] (repeatable; Kafka's names, "
                         "e.g. cleanup.policy=compact; --config is cluster.conf)");
  create_cmd->callback([o, &run] { run = [o] { return create(*o); }; });
  auto list_cmd = cmd->add_subcommand("list", "list topic names");
  add_connection_options(*list_cmd, o->conn);
  list_cmd->callback([o, &run] { run = [o] { return list(*o); }; });
  auto describe_cmd = cmd->add_subcommand("describe", "show partitions, leaders, replicas, ISR");
  add_connection_options(*describe_cmd, o->conn);
  describe_cmd->add_option("--topic", o->topic, "only this topic");
  auto urp = describe_cmd->add_flag(
    "--under-replicated-partitions", o->under_replicated,
    "only partitions with fewer in-sync replicas than replicas (no topic lines)");
  describe_cmd
    ->add_flag("--unavailable-partitions", o->unavailable,
               "only partitions without a leader or whose leader is not alive (no topic lines)")
    ->excludes(urp);
  describe_cmd->callback([o, &run] { run = [o] { return describe_topics(*o); }; });
  auto delete_cmd = cmd->add_subcommand("delete", "delete a topic and its data");
  add_connection_options(*delete_cmd, o->conn);
  delete_cmd->add_option("--topic", o->topic, "topic name")->required();
  delete_cmd->callback([o, &run] { run = [o] { return remove(*o); }; });
  auto alter_cmd = cmd->add_subcommand("alter-config", "set or remove a topic's config overrides");
  add_connection_options(*alter_cmd, o->conn);
  alter_cmd->add_option("--topic", o->topic, "topic name")->required();
  alter_cmd->add_option("--add-config", o->configs,
                        "overrides to set: k1=v1,k2=[a,b] (repeatable)");
  alter_cmd->add_option("--delete-config", o->delete_configs,
                        "overrides to remove (back to the cluster default; repeatable)");
  alter_cmd->callback([o, &run] { run = [o] { return alter_config(*o); }; });
  auto grow_cmd = cmd->add_subcommand("add-partitions", "grow a topic to more partitions");
  add_connection_options(*grow_cmd, o->conn);
  grow_cmd->add_option("--topic", o->topic, "topic name")->required();
  grow_cmd->add_option("--partitions", o->partitions, "the new partition count")
    ->required()
    ->check(CLI::Range(1, 10000));
  grow_cmd->callback([o, &run] { run = [o] { return add_partitions(*o); }; });
}

} // namespace cafka::app
