// The workload of `cafka chaos run` (cmd_chaos_run.cpp): an idempotent producer thread and a
// group of actor consumers, both recording into one history checker. Built and stopped from
// the main thread; the recorder is shared with the producer thread and the sinks' actors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "cafka/consumer_actor.hpp"
#include "cafka/producer.hpp"
#include "runtime/chaos/history_checker.hpp"

namespace cafka::app {

// Histories from several threads and actors. Invariant: touched only under mtx.
struct recorder {
  std::mutex mtx;
  history_checker checker;
  size_t failed = 0;
  size_t processed = 0;
  size_t assignments = 0;  // partitions_assigned messages: rebalances seen by members
};

// The group under test: `n` actor consumers subscribed to the topic, each with a sink that
// records what it processed.
class consumer_group {
public:
  consumer_group(caf::actor_system& sys, const std::string& bootstrap, const std::string& topic,
                 int n, const std::shared_ptr<recorder>& rec);

  // The member whose committed offsets the run samples.
  const consumer_actor& first() const { return members_.front(); }

  // Ends every member and its sink.
  void stop();

private:
  std::vector<caf::actor> sinks_;
  std::vector<consumer_actor> members_;
};

// The idempotent producer in a thread of its own: unique values ("s<seed>-<n>") at `rate`
// records per second until stop(); every acknowledgement and failure goes to the recorder.
class writer {
public:
  writer(caf::actor_system& sys, const std::string& bootstrap, const std::string& topic,
         uint64_t seed, int32_t rate, std::shared_ptr<recorder> rec);
  ~writer();

  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Stops writing and joins the thread.
  void stop();

  int64_t sent() const { return sent_.load(); }

  // Waits until every record sent is acknowledged or failed; an error when time runs out.
  caf::error flush(std::chrono::milliseconds timeout) { return prod_.flush(timeout); }

private:
  void loop();
  void send_one();

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  producer prod_;
  std::string topic_;
  uint64_t seed_;
  int32_t rate_;
  std::shared_ptr<recorder> rec_;
  std::thread thread_;  // last: starts once everything it uses is there
};

} // namespace cafka::app
