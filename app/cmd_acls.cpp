// `cafka acls add|list|remove`: the ACL bindings the metadata quorum keeps for the Kafka
// listeners, administered through any broker (which asks the controller). The flags are
// kafka-acls' where they fit. Main thread.
#include <algorithm>
#include <iostream>

#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

constexpr auto admin_timeout = std::chrono::seconds{30};

struct acls_options {
  connection_options conn;
  std::vector<std::string> principals;
  std::vector<std::string> operations;
  std::string topic;
  std::string group;
  bool cluster = false;
  std::string pattern_type;  // empty: LITERAL (add), ANY (list, remove)
  bool deny = false;
  bool allow = false;
  std::string host;
  // Which of the string options were given (an empty string is a name too).
  bool topic_given = false;
  bool group_given = false;
  bool host_given = false;
};

// The resource the flags name: type and name (none given: any, nullopt).
struct resource_choice {
  acl_resource_type type = acl_resource_type::any;
  std::optional<std::string> name;
};

caf::expected<resource_choice> resource_of(const acls_options& o) {
  int given = (o.topic_given ? 1 : 0) + (o.group_given ? 1 : 0) + (o.cluster ? 1 : 0);
  if (given > 1)
    return make_error(errc::invalid_request, "give one of --topic, --group and --cluster");
  if (o.topic_given)
    return resource_choice{acl_resource_type::topic, o.topic};
  if (o.group_given)
    return resource_choice{acl_resource_type::group, o.group};
  if (o.cluster)
    return resource_choice{acl_resource_type::cluster, std::string{cluster_resource_name}};
  return resource_choice{};
}

caf::expected<std::vector<acl_operation>> operations_of(const acls_options& o) {
  std::vector<acl_operation> out;
  for (auto& name : o.operations) {
    auto op = parse_acl_operation(name);
    if (!op)
      return make_error(errc::invalid_request, "--operation: '" + name
                                                 + "' is not an ACL operation (READ, WRITE, "
                                                   "CREATE, DELETE, ALTER, DESCRIBE, ...)");
    out.push_back(*op);
  }
  return out;
}

caf::expected<acl_pattern_type> pattern_of(const acls_options& o, acl_pattern_type fallback,
                                           bool filter) {
  if (o.pattern_type.empty())
    return fallback;
  auto p = parse_acl_pattern_type(o.pattern_type);
  bool ok = p && (*p == acl_pattern_type::literal || *p == acl_pattern_type::prefixed
                  || (filter && (*p == acl_pattern_type::any || *p == acl_pattern_type::match)));
  if (!ok)
    return make_error(errc::invalid_request,
                      "--resource-pattern-type: '" + o.pattern_type + "' is not "
                        + (filter ? "any, match, literal or prefixed" : "literal or prefixed"));
  return *p;
}

acl_permission permission_of(const acls_options& o, acl_permission fallback) {
  return o.deny ? acl_permission::deny : o.allow ? acl_permission::allow : fallback;
}

int add(const acls_options& o) {
  auto resource = resource_of(o);
  if (!resource)
    return fail(describe(resource.error()));
  auto ops = operations_of(o);
  if (!ops)
    return fail(describe(ops.error()));
  auto pattern = pattern_of(o, acl_pattern_type::literal, false);
  if (!pattern)
    return fail(describe(pattern.error()));
  if (resource->type == acl_resource_type::any)
    return fail("acls add: give one of --topic, --group and --cluster");
  std::vector<acl_binding> bs;
  for (auto& principal : o.principals)
    for (auto op : *ops)
      bs.push_back(acl_binding{resource->type, *resource->name, *pattern, principal,
                               o.host_given ? o.host : std::string{"*"}, op,
                               permission_of(o, acl_permission::allow)});
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    self->request(b, admin_timeout, create_acls_atom::value, bs)
      .receive(
        [&](std::vector<caf::error>& results) {
          for (size_t i = 0; i < bs.size() && i < results.size(); ++i) {
            if (results[i])
              rc = fail(describe(results[i]));
            else
              std::cout << "Added ACL: " << describe(bs[i]) << "\n";
          }
        },
        [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

// The filters of list and remove: one per principal and operation given (any if none).
caf::expected<std::vector<acl_filter>> filters_of(const acls_options& o) {
  auto resource = resource_of(o);
  if (!resource)
    return resource.error();
  auto ops = operations_of(o);
  if (!ops)
    return ops.error();
  auto pattern = pattern_of(o, acl_pattern_type::any, true);
  if (!pattern)
    return pattern.error();
  std::vector<std::optional<std::string>> principals(o.principals.begin(), o.principals.end());
  if (principals.empty())
    principals.emplace_back();
  if (ops->empty())
    ops->push_back(acl_operation::any);
  std::vector<acl_filter> out;
  for (auto& principal : principals)
    for (auto op : *ops)
      out.push_back(acl_filter{resource->type, resource->name, *pattern, principal,
                               o.host_given ? std::optional<std::string>{o.host} : std::nullopt,
                               op, permission_of(o, acl_permission::any)});
  return out;
}

// Adds the bindings of `more` that `out` lacks.
void merge(std::vector<acl_binding>& out, const std::vector<acl_binding>& more) {
  for (auto& b : more)
    if (std::find(out.begin(), out.end(), b) == out.end())
      out.push_back(b);
}

int list(const acls_options& o) {
  auto filters = filters_of(o);
  if (!filters)
    return fail(describe(filters.error()));
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    std::vector<acl_binding> found;
    for (auto& f : *filters) {
      int rc = 0;
      self->request(b, admin_timeout, describe_acls_atom::value, f)
        .receive([&](std::vector<acl_binding>& bs) { merge(found, bs); },
                 [&](caf::error& err) { rc = fail(describe(err)); });
      if (rc != 0)
        return rc;
    }
    for (auto& x : found)
      std::cout << describe(x) << "\n";
    return 0;
  });
}

int remove(const acls_options& o) {
  bool any_filter = !o.principals.empty() || !o.operations.empty() || o.topic_given
                    || o.group_given || o.cluster || !o.pattern_type.empty() || o.allow
                    || o.deny || o.host_given;
  if (!any_filter)
    return fail("acls remove: give at least one filter flag (--principal, --operation, "
                "--topic, --group, --cluster, --host, --allow or --deny)");
  auto filters = filters_of(o);
  if (!filters)
    return fail(describe(filters.error()));
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    self->request(b, admin_timeout, delete_acls_atom::value, *filters)
      .receive(
        [&](std::vector<std::vector<acl_binding>>& removed) {
          std::vector<acl_binding> all;
          for (auto& bs : removed)
            merge(all, bs);
          for (auto& x : all)
            std::cout << "Removed ACL: " << describe(x) << "\n";
          if (all.empty())
            std::cout << "No ACL matched.\n";
        },
        [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

// The resource, pattern, permission and host flags, shared by the three subcommands. The
// function returned records which string options were given (call it once parsed).
std::function<void()> add_binding_flags(CLI::App& cmd, acls_options& o, bool filter) {
  auto topic = cmd.add_option("--topic", o.topic, "a topic (name, prefix or '*')");
  auto group = cmd.add_option("--group", o.group, "a consumer group (name, prefix or '*')");
  auto cluster = cmd.add_flag("--cluster", o.cluster, "the cluster (kafka-cluster)");
  topic->excludes(group)->excludes(cluster);
  group->excludes(cluster);
  cmd.add_option("--resource-pattern-type", o.pattern_type,
                 filter ? "any, match, literal or prefixed (default: any)"
                        : "literal or prefixed (default: literal)");
  auto allow = cmd.add_flag("--allow", o.allow,
                            filter ? "only ALLOW bindings" : "allow (the default)");
  auto deny = cmd.add_flag("--deny", o.deny, filter ? "only DENY bindings" : "deny");
  allow->excludes(deny);
  auto host = cmd.add_option("--host", o.host,
                             filter ? "only bindings of this host" : "host (default: *)");
  return [&o, topic, group, host] {
    o.topic_given = topic->count() > 0;
    o.group_given = group->count() > 0;
    o.host_given = host->count() > 0;
  };
}

} // namespace

void add_acls_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<acls_options>();
  auto cmd = app.add_subcommand("acls", "manage the ACLs of the Kafka listeners");
  cmd->require_subcommand(1);
  auto add_cmd = cmd->add_subcommand("add", "add ACL bindings (one per principal and "
                                            "operation)");
  add_connection_options(*add_cmd, o->conn);
  add_cmd->add_option("--principal", o->principals, "User:name (repeatable)")->required();
  add_cmd->add_option("--operation", o->operations,
                      "READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, ... (repeatable)")
    ->required();
  auto given = add_binding_flags(*add_cmd, *o, false);
  add_cmd->callback([o, given, &run] {
    given();
    run = [o] { return add(*o); };
  });
  auto list_cmd = cmd->add_subcommand("list", "list the ACL bindings the filter flags match");
  auto remove_cmd = cmd->add_subcommand("remove", "remove the ACL bindings the filter flags "
                                                  "match");
  for (auto [c, action] : {std::pair{list_cmd, &list}, std::pair{remove_cmd, &remove}}) {
    add_connection_options(*c, o->conn);
    c->add_option("--principal", o->principals, "only bindings of User:name (repeatable)");
    c->add_option("--operation", o->operations, "only bindings of this operation (repeatable)");
    auto given = add_binding_flags(*c, *o, true);
    c->callback([o, given, action = action, &run] {
      given();
      run = [o, action] { return action(*o); };
    });
  }
}

} // namespace cafka::app
