// The C++ fault-injection API: what `cafka chaos` does, for a test program that runs its own
// consumers against a cluster. Network and disk faults go to the nodes' chaos agents (each
// node applies them to what it sends and writes); process faults signal the nodes of this
// machine through the pid files of `cafka cluster up` (or of restart()). Blocking calls: use
// it from a non-actor thread (a test body, main), like caf::scoped_actor.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/chaos/fault_table.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

class fault_injector {
public:
  using millis = std::chrono::milliseconds;

  // Requires: sys has cafka's message types and the middleman loaded. `cafka_binary` is the
  // program restart() runs as `<binary> node --config … --id N` (empty: this program).
  fault_injector(caf::actor_system& sys, cluster_config cfg, std::string cafka_binary = {});

  const cluster_config& config() const { return cfg_; }

  // -- network and disk faults; a zero duration lasts until heal() ---------------------------

  // Installs the rules on `nodes` (empty: every node of the config). Returns how many nodes
  // took them; an error if a node is not in the config, a probability is outside [0, 1], no
  // node answered, or a node refused (its own error, e.g. errc::chaos_disabled without
  // chaos-enable=true in its cluster.conf, errc::invalid_request for a rule over its caps;
  // the nodes before it keep what they took until heal() or the duration ends).
  caf::expected<int> install(const std::vector<fault_rule>& rules, millis duration = millis{0},
                             const std::set<node_id>& nodes = {});

  // Cuts every message from `a` to `b` (empty b: every other node), both ways unless one_way.
  caf::expected<int> partition(const std::set<node_id>& a, const std::set<node_id>& b = {},
                               bool one_way = false, millis duration = millis{0});
  caf::expected<int> isolate(node_id n, millis duration = millis{0});
  // Loses, duplicates or delays messages from `from` to `to` (empty: any node).
  caf::expected<int> drop(double probability, millis duration = millis{0},
                          const std::set<node_id>& from = {}, const std::set<node_id>& to = {});
  caf::expected<int> duplicate(double probability, millis duration = millis{0},
                               const std::set<node_id>& from = {},
                               const std::set<node_id>& to = {});
  caf::expected<int> delay(millis delay, millis jitter, millis duration = millis{0},
                           const std::set<node_id>& from = {}, const std::set<node_id>& to = {});
  // Disk faults on node n's partition logs: write_error / fsync_error with the probability
  // per operation, or slow with `delay` (+ up to `jitter`) per write and fsync.
  caf::expected<int> disk(node_id n, disk_fault kind, double probability = 1.0,
                          millis delay = millis{0}, millis jitter = millis{0},
                          millis duration = millis{0});

  // -- process faults (nodes on this machine) ------------------------------------------------

  caf::error kill(node_id n);     // SIGKILL (a crash: the node loses nothing it fsynced)
  caf::error pause(node_id n);    // SIGSTOP (hung, not dead)
  caf::error resume(node_id n);   // SIGCONT
  // Starts node n if it is down (writes its pid file); its pid, or the running one's.
  caf::expected<pid_t> restart(node_id n);
  // Polls until node n's broker answers metadata (or its supervisor, without a broker).
  bool wait_until_answers(node_id n, millis timeout);

  // -- all of them ---------------------------------------------------------------------------

  // Removes every rule on every node that answers and resumes paused nodes. Dead nodes stay
  // dead (restart() them).
  struct heal_report {
    std::vector<node_id> resumed;  // were paused
    std::vector<node_id> healed;   // confirmed that their rules are gone
    std::vector<std::pair<node_id, caf::error>> refused;  // answered no (chaos disabled)
  };
  heal_report heal();

  struct node_status {
    node_id id;
    std::string process;  // running, paused, down, or remote (not on this machine)
    bool answered = false;
    std::vector<fault_status> rules;
    caf::error refused;  // the node answered no (chaos disabled)
  };
  std::vector<node_status> status();

  // Polls until every node of the config answers; false at the deadline.
  bool wait_until_all_answer(millis timeout);

private:
  // n if it is in the config and runs on this machine; otherwise the error.
  caf::expected<const node_config*> local(node_id n) const;
  // The pid of local node n if it runs; otherwise the error.
  caf::expected<pid_t> running(node_id n) const;

  caf::actor_system& sys_;
  cluster_config cfg_;
  std::string binary_;
};

} // namespace cafka
