// `cafka users create|delete|list`: the SCRAM credentials the metadata quorum keeps for the Kafka
// listeners' SASL, administered through any broker (which asks the controller). Main thread.
#include <fstream>
#include <iostream>

#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/security/scram.hpp"

namespace cafka::app {

namespace {

constexpr auto admin_timeout = std::chrono::seconds{30};

struct users_options {
  connection_options conn;
  std::string user;
  std::string mechanism;  // empty: SCRAM-SHA-512 (create), every mechanism (delete)
  int32_t iterations = 4096;
  std::string password;
  std::string password_file;
  bool password_given = false;
};

// The first line of `in` without its line end, or nullopt if there is none.
std::optional<std::string> first_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

// The password of --password, the first line of --password-file, or a line of stdin; or
// nullopt after printing why not.
std::optional<std::string> password_of(const users_options& o) {
  if (o.password_given)
    return o.password;
  std::optional<std::string> line;
  if (!o.password_file.empty()) {
    std::ifstream in{o.password_file};
    if (!in) {
      fail("--password-file: cannot read " + o.password_file);
      return std::nullopt;
    }
    line = first_line(in);
  } else {
    line = first_line(std::cin);
  }
  if (!line || line->empty()) {
    fail(std::string{"the password is empty"} + (o.password_file.empty() ? " (stdin)" : ""));
    return std::nullopt;
  }
  return line;
}

// The mechanism of --mechanism, or nullopt after printing why not.
std::optional<scram_mechanism> mechanism_of(const std::string& name) {
  auto m = parse_scram_mechanism(name);
  if (!m)
    fail("--mechanism: '" + name + "' is not SCRAM-SHA-256 or SCRAM-SHA-512");
  return m;
}

// The users with their mechanisms, or nullopt after printing the error.
std::optional<std::vector<scram_user>> list_users(caf::scoped_actor& self, broker_actor& b) {
  std::optional<std::vector<scram_user>> out;
  self->request(b, admin_timeout, list_users_atom::value)
    .receive([&](std::vector<scram_user>& users) { out = std::move(users); },
             [&](caf::error& err) { fail(describe(err)); });
  return out;
}

int create(const users_options& o) {
  auto m = mechanism_of(o.mechanism.empty() ? "SCRAM-SHA-512" : o.mechanism);
  if (!m)
    return 1;
  auto password = password_of(o);
  if (!password)
    return 1;
  auto c = make_scram_credential(o.user, *password, *m, o.iterations);
  if (!c)
    return fail(describe(c.error()));
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    self->request(b, admin_timeout, upsert_credential_atom::value, *c)
      .receive(
        [&](caf::ok_atom) {
          std::cout << "Set the " << to_string(*m) << " credential of user " << o.user
                    << " (" << o.iterations << " iterations).\n";
        },
        [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

int list(const users_options& o) {
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    auto users = list_users(self, b);
    if (!users)
      return 1;
    for (auto& u : *users)
      std::cout << "User: " << u.user << "\tMechanism: " << to_string(u.mechanism)
                << "\tIterations: " << u.iterations << "\n";
    return 0;
  });
}

// Deletes the user's credential of --mechanism, or of every mechanism it has.
int remove(const users_options& o) {
  std::vector<scram_mechanism> mechanisms;
  if (!o.mechanism.empty()) {
    auto m = mechanism_of(o.mechanism);
    if (!m)
      return 1;
    mechanisms.push_back(*m);
  }
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    if (mechanisms.empty()) {
      auto users = list_users(self, b);
      if (!users)
        return 1;
      for (auto& u : *users)
        if (u.user == o.user)
          mechanisms.push_back(u.mechanism);
      if (mechanisms.empty())
        return fail(describe(
          make_error(errc::resource_not_found, "user '" + o.user + "' has no credentials")));
    }
    int rc = 0;
    for (auto m : mechanisms)
      self->request(b, admin_timeout, delete_credential_atom::value, credential_name{o.user, m})
        .receive(
          [&](caf::ok_atom) {
            std::cout << "Deleted the " << to_string(m) << " credential of user " << o.user
                      << ".\n";
          },
          [&](caf::error& err) { rc = fail(describe(err)); });
    return rc;
  });
}

} // namespace

void add_users_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<users_options>();
  auto cmd = app.add_subcommand("users", "manage the SCRAM users of the Kafka listeners");
  cmd->require_subcommand(1);
  auto create_cmd = cmd->add_subcommand("create", "create or replace a user's SCRAM credential");
  add_connection_options(*create_cmd, o->conn);
  create_cmd->add_option("--user", o->user, "user name")->required();
  create_cmd->add_option("--mechanism", o->mechanism,
                         "SCRAM-SHA-256 or SCRAM-SHA-512 (default: SCRAM-SHA-512)");
  create_cmd->add_option("--iterations", o->iterations, "PBKDF2 iterations, 4096 to 16384")
    ->capture_default_str();
  auto password = create_cmd->add_option("--password", o->password,
                                         "the password (visible to other local users: prefer "
                                         "--password-file or stdin)");
  auto file = create_cmd->add_option("--password-file", o->password_file,
                                     "a file whose first line is the password");
  password->excludes(file);
  create_cmd->callback([o, password, &run] {
    o->password_given = password->count() > 0;
    run = [o] { return create(*o); };
  });
  auto delete_cmd = cmd->add_subcommand("delete", "delete a user's SCRAM credential(s)");
  add_connection_options(*delete_cmd, o->conn);
  delete_cmd->add_option("--user", o->user, "user name")->required();
  delete_cmd->add_option("--mechanism", o->mechanism,
                         "SCRAM-SHA-256 or SCRAM-SHA-512 (default: every one the user has)");
  delete_cmd->callback([o, &run] { run = [o] { return remove(*o); }; });
  auto list_cmd = cmd->add_subcommand("list", "list users, mechanisms and iteration counts");
  add_connection_options(*list_cmd, o->conn);
  list_cmd->callback([o, &run] { run = [o] { return list(*o); }; });
}

} // namespace cafka::app
