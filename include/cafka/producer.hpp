// The producer facade for plain C++ code (any thread, e.g. main()): send() partitions the
// record and appends it to the shared accumulator; the producer actor sends the batches.
// Thread-safe. Delivery callbacks run in the producer actor's context: keep them short.
// producer_config (client_config.hpp) has Kafka's settings, among them enable_idempotence
// (needs acks = -1 and max_in_flight <= 5) and delivery_timeout_ms.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include <caf/actor_system.hpp>

#include "cafka/producer_actor.hpp"

namespace cafka {

class producer {
public:
  producer(caf::actor_system& sys, producer_config cfg);
  ~producer();

  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Queues one record. While buffer.memory is used up it waits, at most max_block_ms, then
  // fails with request_timed_out. Errors at once for an invalid config (invalid_config), an
  // unknown topic or partition, or after close() (client_closed); no callback runs then.
  // Every record it accepts (no error) gets exactly one call of cb, also when close() races.
  // On an actor's thread (inside an actor, in a delivery callback) it never waits: a topic
  // whose partitions are not cached yet or a full buffer fails with blocking_in_actor.
  caf::error send(const producer_record& r, delivery_callback cb = {});

  // Blocks until every record sent so far has its delivery report. After close():
  // client_closed; on an actor's thread (e.g. in a delivery callback): blocking_in_actor.
  caf::error flush(std::chrono::milliseconds timeout = std::chrono::minutes{2});

  // Refuses later sends, waits until every accepted record has its report, and stops the
  // producer actor. Other threads calling it meanwhile wait too. Called by the destructor.
  // On an actor's thread it does not wait: the reports still come.
  void close();

  // Partition count of a topic (cached). After close(): client_closed; not cached on an
  // actor's thread: blocking_in_actor.
  caf::expected<int32_t> partitions_for(const std::string& topic);

  producer_actor handle() const { return actor_; }

  // validate(config): invalid_config if the settings cannot work together, else none.
  const caf::error& config_error() const { return config_error_; }

private:
  caf::actor_system& sys_;
  producer_config cfg_;
  caf::error config_error_;
  std::shared_ptr<record_accumulator> acc_;
  producer_actor actor_;
  std::mutex mtx_;
  std::map<std::string, int32_t> partitions_;
  std::once_flag close_once_;
};

} // namespace cafka
