// describe() and to_string(topic_partition): the one-line texts users see in errors.
#include <catch2/catch.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/base/ids.hpp"

using namespace cafka;

TEST_CASE("describe names cafka's errors with their context", "[errc]") {
  CHECK(describe(make_error(errc::unknown_topic_or_partition, "topic 'x' does not exist"))
        == "unknown_topic_or_partition: topic 'x' does not exist");
  CHECK(describe(caf::error{}) == "no error");
}

TEST_CASE("describe names CAF's own system errors and exit reasons, not their numbers",
          "[errc]") {
  CHECK(describe(caf::make_error(caf::sec::request_timeout)) == "request_timeout");
  CHECK(describe(caf::make_error(caf::sec::request_receiver_down))
        == "request_receiver_down");
  CHECK(describe(caf::make_error(caf::sec::unexpected_message, std::string{"a message"}))
        == "unexpected_message: a message");
  CHECK(describe(caf::make_error(caf::exit_reason::user_shutdown)) == "user_shutdown");
}

TEST_CASE("a topic partition prints as topic-partition, or just the topic when the partition "
          "is unknown",
          "[errc]") {
  CHECK(to_string(topic_partition{"orders", partition_id{7}}) == "orders-7");
  CHECK(to_string(topic_partition{"nope", no_partition}) == "nope");
}
