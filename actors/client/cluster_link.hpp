// A client actor's view of the cluster: its bootstrap brokers, cached metadata, and one
// connection per broker (opened through the middleman actor, so the actor never blocks).
// Lives in the state of a producer or consumer actor; used only from that actor's context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "actors/node/network_dialer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

class cluster_link {
public:
  using broker_callback = std::function<void(caf::expected<broker_actor>)>;
  using metadata_callback = std::function<void(caf::error)>;

  cluster_link() = default;
  // bootstrap: Kafka's bootstrap.servers; entries are tried in turn until one answers.
  cluster_link(std::vector<host_port> bootstrap, std::chrono::milliseconds timeout)
    : bootstrap_(std::move(bootstrap)), timeout_(timeout) {}

  const cluster_metadata& metadata() const { return md_; }
  bool has_metadata() const { return have_md_; }

  // Called with the metadata each time a refresh stored newer metadata (before the
  // refresh's own callbacks run).
  void on_metadata(std::function<void(const cluster_metadata&)> f) { on_md_ = std::move(f); }

  // Fetches fresh metadata from any connected broker (the bootstrap one first).
  template <class Self>
  void refresh_metadata(Self* self, metadata_callback f) {
    md_waiters_.push_back(std::move(f));
    if (md_waiters_.size() > 1)
      return; // a refresh is already under way
    with_bootstrap(self, [this, self](caf::expected<broker_actor> b) {
      if (!b) {
        finish_metadata(std::move(b.error()));
        return;
      }
      self->request(*b, timeout_, metadata_atom::value, metadata_request{})
        .then(
          [this](cluster_metadata& md) {
            if (!have_md_ || md.version >= md_.version) {
              md_ = std::move(md);
              have_md_ = true;
              if (on_md_)
                on_md_(md_);
            }
            finish_metadata(caf::error{});
          },
          [this](caf::error& err) {
            forget(no_node);
            finish_metadata(std::move(err));
          });
    });
  }

  // The broker leading tp (metadata must be present), connecting to it if needed.
  template <class Self>
  void with_leader(Self* self, const topic_partition& tp, broker_callback f) {
    auto p = md_.find_partition(tp);
    if (p == nullptr) {
      f(make_error(errc::unknown_topic_or_partition,
                   "topic partition " + to_string(tp) + " does not exist"));
      return;
    }
    auto b = md_.find_broker(p->leader);
    if (p->leader == no_node || b == nullptr) {
      f(make_error(errc::broker_not_available, "no leader for " + to_string(tp)));
      return;
    }
    connect(self, b->id, b->host, b->port, std::move(f));
  }

  // Node `id`'s broker (refreshing the metadata once if it does not know the node),
  // connecting to it if needed.
  template <class Self>
  void with_broker(Self* self, node_id id, broker_callback f) {
    if (auto b = md_.find_broker(id)) {
      connect(self, b->id, b->host, b->port, std::move(f));
      return;
    }
    refresh_metadata(self, [this, self, id, f](caf::error err) {
      if (err) {
        f(std::move(err));
        return;
      }
      auto b = md_.find_broker(id);
      if (b == nullptr) {
        f(make_error(errc::broker_not_available,
                     "broker " + to_string(id) + " is not in the metadata"));
        return;
      }
      connect(self, b->id, b->host, b->port, f);
    });
  }

  // A bootstrap broker, connecting to it if needed (e.g. for init_pid): the entry that
  // answered last, else the next ones in turn; the error of the last if none answers.
  template <class Self>
  void with_bootstrap(Self* self, broker_callback f) {
    try_bootstrap(self, std::move(f), bootstrap_.size());
  }

  // Drops a connection that failed so the next use reconnects.
  void forget(node_id id) { brokers_.erase(id); }

  // Drops the connection to the node whose broker actor is `addr` (e.g. after a timeout).
  void forget(const caf::actor_addr& addr) {
    for (auto i = brokers_.begin(); i != brokers_.end();)
      i = i->second.address() == addr ? brokers_.erase(i) : std::next(i);
  }

private:
  template <class Self>
  void try_bootstrap(Self* self, broker_callback f, size_t left) {
    if (bootstrap_.empty()) {
      f(make_error(errc::invalid_config, "no bootstrap server"));
      return;
    }
    auto tried = next_;
    auto& hp = bootstrap_[tried % bootstrap_.size()];
    connect(self, no_node, hp.host, hp.port,
            [this, self, f, left, tried](caf::expected<broker_actor> b) {
              if (b || left <= 1) {
                f(std::move(b));
                return;
              }
              if (next_ == tried)  // others waiting on the same entry move on only once
                ++next_;
              try_bootstrap(self, f, left - 1);
            });
  }

  template <class Self>
  void connect(Self* self, node_id id, const std::string& host, uint16_t port,
               broker_callback f) {
    auto i = brokers_.find(id);
    if (i != brokers_.end()) {
      f(i->second);
      return;
    }
    auto& waiters = connecting_[id];
    waiters.push_back(std::move(f));
    if (waiters.size() > 1)
      return;
    // Every broker the link connects to is monitored: the owner's down handler learns when
    // its node goes away (CAF never fails a request already sent to it) and calls forget().
    auto done = [this, self, id](caf::expected<broker_actor> b) {
      if (b) {
        brokers_[id] = *b;
        self->monitor(*b);
      }
      auto ws = std::move(connecting_[id]);
      connecting_.erase(id);
      for (auto& w : ws)
        w(b);
    };
    dial(self, host, port, dial_attempts, std::move(done));
  }

  // Dials host:port and asks the node for its broker; dials again (at most `attempts` in
  // all) while a dial only lost the handshake race (lost_handshake_race).
  template <class Self>
  void dial(Self* self, const std::string& host, uint16_t port, int attempts,
            broker_callback done) {
    auto where = host + ":" + std::to_string(port);
    auto timeout = timeout_;
    self->request(network_dialer(self->system()), timeout_, caf::connect_atom::value, host,
                  port)
      .then(
        [self, done, where, timeout](const caf::node_id&, caf::strong_actor_ptr& ptr,
                                     const std::set<std::string>&) {
          if (!ptr) {
            done(make_error(errc::broker_not_available, "no cafka node at " + where));
            return;
          }
          // A node publishes its supervisor; it hands out the node's broker.
          self->request(caf::actor_cast<node_actor>(ptr), timeout, broker_atom::value)
            .then([done](broker_actor& b) { done(b); },
                  [done](caf::error& err) { done(err); });
        },
        [this, self, done, host, port, attempts, where](caf::error& err) {
          if (attempts > 1 && lost_handshake_race(err)) {
            dial(self, host, port, attempts - 1, done);
            return;
          }
          done(make_error(errc::broker_not_available,
                          "cannot connect to " + where + ": " + caf::to_string(err)));
        });
  }

  void finish_metadata(caf::error err) {
    auto ws = std::move(md_waiters_);
    md_waiters_.clear();
    for (auto& w : ws)
      w(err);
  }

  std::vector<host_port> bootstrap_;
  size_t next_ = 0;  // the bootstrap entry to try first
  std::chrono::milliseconds timeout_{30000};
  cluster_metadata md_;
  bool have_md_ = false;
  std::map<node_id, broker_actor> brokers_;  // no_node: the bootstrap broker
  std::map<node_id, std::vector<broker_callback>> connecting_;
  std::vector<metadata_callback> md_waiters_;
  std::function<void(const cluster_metadata&)> on_md_;
};

} // namespace cafka
