#include "cafka/fault_injector.hpp"

#include <csignal>
#include <fstream>

#include <sys/wait.h>

#include <caf/scoped_actor.hpp>

#include "actors/chaos/local_nodes.hpp"
#include "actors/atoms.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr auto chaos_timeout = std::chrono::seconds{5};

caf::error check_probability(double p) {
  if (p < 0 || p > 1)
    return make_error(errc::invalid_request, "a probability must be between 0 and 1");
  return caf::none;
}

} // namespace

fault_injector::fault_injector(caf::actor_system& sys, cluster_config cfg,
                               std::string cafka_binary)
  : sys_(sys), cfg_(std::move(cfg)), binary_(std::move(cafka_binary)) {
  // nop
}

caf::expected<int> fault_injector::install(const std::vector<fault_rule>& rules,
                                           millis duration, const std::set<node_id>& nodes) {
  if (duration.count() < 0)
    return make_error(errc::invalid_request, "a fault's duration must not be negative");
  for (auto& r : rules) {
    if (auto err = check_probability(r.drop))
      return err;
    if (auto err = check_probability(r.duplicate))
      return err;
    if (r.delay.count() < 0 || r.jitter.count() < 0)
      return make_error(errc::invalid_request, "delays must not be negative");
    for (auto* xs : {&r.from, &r.to})
      for (auto x : *xs)
        if (cfg_.find(x) == nullptr)
          return make_error(errc::invalid_request, "node " + to_string(x)
                                                     + " is not in " + cfg_.path);
  }
  for (auto x : nodes)
    if (cfg_.find(x) == nullptr)
      return make_error(errc::invalid_request,
                        "node " + to_string(x) + " is not in " + cfg_.path);
  caf::scoped_actor self{sys_};
  int reached = 0;
  std::string why;
  for (auto& n : cfg_.nodes) {
    if (!nodes.empty() && nodes.count(n.id) == 0)
      continue;
    auto node = reach(sys_, n);
    if (!node) {
      why = "node " + to_string(n.id) + " is not reachable";
      continue;
    }
    bool ok = true;
    caf::error refused;
    for (auto& r : rules)
      self->request(*node, chaos_timeout, chaos_atom::value, r, int64_t{duration.count()})
        .receive([](uint64_t) {},
                 [&](caf::error& err) {
                   if (errc_of(err) != errc::none)
                     refused = err;
                   why = "node " + to_string(n.id) + ": " + describe(err);
                   ok = false;
                 });
    // The node answered no (chaos disabled, a rule over its caps): the fault cannot be
    // installed as asked, and the node's own words say why.
    if (refused)
      return refused;
    reached += ok ? 1 : 0;
  }
  if (reached == 0)
    return make_error(errc::broker_not_available,
                      "no node of " + cfg_.path + " took the fault" + (why.empty() ? "" : ": " + why));
  return reached;
}

caf::expected<int> fault_injector::partition(const std::set<node_id>& a,
                                             const std::set<node_id>& b, bool one_way,
                                             millis duration) {
  if (a.empty())
    return make_error(errc::invalid_request, "a partition needs at least one node on a side");
  auto other = b;
  if (other.empty())
    for (auto& n : cfg_.nodes)
      if (a.count(n.id) == 0)
        other.insert(n.id);
  for (auto& x : a)
    if (other.count(x) > 0)
      return make_error(errc::invalid_request,
                        "node " + to_string(x) + " is on both sides");
  std::vector<fault_rule> rules;
  fault_rule ab;
  ab.from = a;
  ab.to = other;
  ab.drop = 1.0;
  rules.push_back(ab);
  if (!one_way) {
    std::swap(ab.from, ab.to);
    rules.push_back(ab);
  }
  return install(rules, duration);
}

caf::expected<int> fault_injector::isolate(node_id n, millis duration) {
  return partition({n}, {}, false, duration);
}

caf::expected<int> fault_injector::drop(double probability, millis duration,
                                        const std::set<node_id>& from,
                                        const std::set<node_id>& to) {
  fault_rule r;
  r.from = from;
  r.to = to;
  r.drop = probability;
  return install({r}, duration);
}

caf::expected<int> fault_injector::duplicate(double probability, millis duration,
                                             const std::set<node_id>& from,
                                             const std::set<node_id>& to) {
  fault_rule r;
  r.from = from;
  r.to = to;
  r.duplicate = probability;
  return install({r}, duration);
}

caf::expected<int> fault_injector::delay(millis delay, millis jitter, millis duration,
                                         const std::set<node_id>& from,
                                         const std::set<node_id>& to) {
  fault_rule r;
  r.from = from;
  r.to = to;
  r.delay = delay;
  r.jitter = jitter;
  return install({r}, duration);
}

caf::expected<int> fault_injector::disk(node_id n, disk_fault kind, double probability,
                                        millis delay, millis jitter, millis duration) {
  if (kind == disk_fault::none)
    return make_error(errc::invalid_request, "no disk fault given");
  if (kind == disk_fault::slow && delay.count() <= 0 && jitter.count() <= 0)
    return make_error(errc::invalid_request, "a slow disk needs a delay");
  fault_rule r;
  r.disk = kind;
  r.drop = probability;
  r.delay = delay;
  r.jitter = jitter;
  return install({r}, duration, {n});
}

caf::expected<const node_config*> fault_injector::local(node_id id) const {
  auto n = cfg_.find(id);
  if (n == nullptr)
    return make_error(errc::invalid_request,
                      "node " + to_string(id) + " is not in " + cfg_.path);
  if (!is_local(n->host))
    return make_error(errc::invalid_request,
                      "node " + to_string(id) + " runs on " + n->host
                        + ": process faults work on this machine's nodes only");
  return n;
}

caf::expected<pid_t> fault_injector::running(node_id n) const {
  auto nc = local(n);
  if (!nc)
    return std::move(nc.error());
  auto pid = running_pid(cfg_, n);
  if (pid <= 0)
    return make_error(errc::invalid_request, "node " + to_string(n)
                                               + " is not running (no live pid in "
                                               + pid_file(cfg_, n) + ")");
  return pid;
}

caf::error fault_injector::kill(node_id n) {
  auto pid = running(n);
  if (!pid)
    return std::move(pid.error());
  ::kill(*pid, SIGCONT);
  ::kill(*pid, SIGKILL);
  // Reap it if it is this process's child (restart() starts nodes so), lest it linger as a
  // zombie; the pid file's process is gone either way.
  wait_for(millis{2000}, [&] {
    ::waitpid(*pid, nullptr, WNOHANG);
    return running_pid(cfg_, n) <= 0;
  });
  return caf::none;
}

caf::error fault_injector::pause(node_id n) {
  auto pid = running(n);
  if (!pid)
    return std::move(pid.error());
  ::kill(*pid, SIGSTOP);
  return caf::none;
}

caf::error fault_injector::resume(node_id n) {
  auto pid = running(n);
  if (!pid)
    return std::move(pid.error());
  ::kill(*pid, SIGCONT);
  return caf::none;
}

caf::expected<pid_t> fault_injector::restart(node_id n) {
  auto nc = local(n);
  if (!nc)
    return std::move(nc.error());
  if (auto pid = running_pid(cfg_, n); pid > 0)
    return pid;
  auto pid = start_node(cfg_, **nc, binary_);
  if (pid < 0)
    return make_error(errc::invalid_request, "cannot start node " + to_string(n));
  std::ofstream{pid_file(cfg_, n)} << pid << "\n";
  return pid;
}

bool fault_injector::wait_until_answers(node_id n, millis timeout) {
  auto nc = cfg_.find(n);
  return nc != nullptr && wait_for(timeout, [&] { return answers(sys_, *nc); });
}

bool fault_injector::wait_until_all_answer(millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& n : cfg_.nodes) {
    auto left = std::chrono::duration_cast<millis>(deadline - std::chrono::steady_clock::now());
    if (!wait_until_answers(n.id, std::max(left, millis{0})))
      return false;
  }
  return true;
}

fault_injector::heal_report fault_injector::heal() {
  caf::scoped_actor self{sys_};
  heal_report rep;
  for (auto& n : cfg_.nodes) {
    if (is_local(n.host))
      if (auto pid = running_pid(cfg_, n.id); pid > 0 && process_state(pid) == 'T') {
        ::kill(pid, SIGCONT);
        rep.resumed.push_back(n.id);
      }
    auto node = reach(sys_, n);
    if (!node)
      continue;
    self->request(*node, chaos_timeout, heal_atom::value)
      .receive([&](caf::ok_atom) { rep.healed.push_back(n.id); },
               [&](caf::error& err) {
                 if (errc_of(err) != errc::none)
                   rep.refused.emplace_back(n.id, std::move(err));
               });
  }
  return rep;
}

std::vector<fault_injector::node_status> fault_injector::status() {
  std::vector<node_status> out;
  caf::scoped_actor self{sys_};
  for (auto& n : cfg_.nodes) {
    node_status s;
    s.id = n.id;
    s.process = "remote";
    if (is_local(n.host)) {
      auto pid = running_pid(cfg_, n.id);
      s.process = pid <= 0 ? "down" : process_state(pid) == 'T' ? "paused" : "running";
    }
    if (s.process != "down" && s.process != "paused")
      if (auto node = reach(sys_, n))
        self->request(*node, chaos_timeout, chaos_atom::value)
          .receive(
            [&](std::vector<fault_status>& r) {
              s.rules = std::move(r);
              s.answered = true;
            },
            [&](caf::error& err) {
              if (errc_of(err) != errc::none)
                s.refused = std::move(err);
            });
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace cafka
