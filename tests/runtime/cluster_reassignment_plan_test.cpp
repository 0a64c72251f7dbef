// The reassignment plan of Kafka's kafka-reassign-partitions.sh (runtime/cluster/
// reassignment_plan): the Kafka tool's plans read exactly, render and parse round trip, and
// every refusal with its exact message.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/reassignment_plan.hpp"

using namespace cafka;

namespace {

planned_reassignment entry(std::string topic, int32_t partition, std::vector<int32_t> ids) {
  planned_reassignment out;
  out.tp = topic_partition{std::move(topic), partition_id{partition}};
  for (auto id : ids)
    out.replicas.push_back(node_id{id});
  return out;
}

// The message of a refused plan without its "reassignment plan: " prefix, after checking
// that it is an invalid_request with that prefix; "accepted" for a plan that parses.
std::string refusal(std::string_view json) {
  auto plan = parse_reassignment_plan(json);
  if (plan)
    return "accepted";
  CHECK(errc_of(plan.error()) == errc::invalid_request);
  auto context = context_of(plan.error());
  std::string prefix = "reassignment plan: ";
  REQUIRE(context.compare(0, prefix.size(), prefix) == 0);
  return context.substr(prefix.size());
}

// A plan of one entry whose fields are `fields` (JSON text inside the entry's braces).
std::string one_entry(const std::string& fields) {
  return R"({"version":1,"partitions":[{)" + fields + "}]}";
}

} // namespace

TEST_CASE("the Kafka tool's example plans parse to their entries in order",
          "[cluster][reassignment_plan]") {
  // Kafka's documentation: a custom reassignment, written by hand over several lines.
  auto custom = parse_reassignment_plan(R"({"version":1,
  "partitions":[{"topic":"foo1","partition":0,"replicas":[5,6]},
                {"topic":"foo2","partition":1,"replicas":[2,3]}]
})");
  REQUIRE(custom);
  CHECK(*custom
        == std::vector<planned_reassignment>{entry("foo1", 0, {5, 6}), entry("foo2", 1, {2, 3})});
  // What the tool's --generate prints: log_dirs of "any" on every entry.
  auto generated = parse_reassignment_plan(
    R"({"version":1,"partitions":[{"topic":"mytopic1","partition":0,"replicas":[4,5],)"
    R"("log_dirs":["any","any"]},{"topic":"mytopic1","partition":2,"replicas":[5,4],)"
    R"("log_dirs":["any","any"]},{"topic":"mytopic2","partition":0,"replicas":[4,5,1],)"
    R"("log_dirs":["any","any","any"]}]})");
  REQUIRE(generated);
  CHECK(*generated
        == std::vector<planned_reassignment>{entry("mytopic1", 0, {4, 5}),
                                             entry("mytopic1", 2, {5, 4}),
                                             entry("mytopic2", 0, {4, 5, 1})});
}

TEST_CASE("a plan without a version is read as version 1 and unknown fields are ignored",
          "[cluster][reassignment_plan]") {
  auto plan = parse_reassignment_plan(
    R"({"partitions":[{"topic":"a.b","partition":7,"replicas":[0],"extra":{"x":[1]}}],)"
    R"("comment":"moving a.b"})");
  REQUIRE(plan);
  CHECK(*plan == std::vector<planned_reassignment>{entry("a.b", 7, {0})});
  // JSON's -0 is the integer 0, not a negative id.
  auto zero = parse_reassignment_plan(one_entry(R"("topic":"z","partition":-0,"replicas":[-0])"));
  REQUIRE(zero);
  CHECK(*zero == std::vector<planned_reassignment>{entry("z", 0, {0})});
}

TEST_CASE("a rendered plan is the Kafka tool's one-line format and parses back equal",
          "[cluster][reassignment_plan]") {
  std::vector<planned_reassignment> plan{entry("orders", 3, {2, 0, 1}), entry("a", 0, {7})};
  auto text = render_reassignment_plan(plan);
  CHECK(text
        == R"({"version":1,"partitions":[{"topic":"orders","partition":3,"replicas":[2,0,1],)"
           R"("log_dirs":["any","any","any"]},{"topic":"a","partition":0,"replicas":[7],)"
           R"("log_dirs":["any"]}]})");
  auto back = parse_reassignment_plan(text);
  REQUIRE(back);
  CHECK(*back == plan);
}

TEST_CASE("a rendered topic name is escaped as a JSON string and reads back the same",
          "[cluster][reassignment_plan]") {
  std::string odd = "q\"b\\s/\n\t\x01\x1f\xc3\xa9";  // quote, backslash, controls, UTF-8 é
  std::vector<planned_reassignment> plan{entry(odd, 2147483647, {2147483647, 0})};
  auto text = render_reassignment_plan(plan);
  CHECK(text
        == "{\"version\":1,\"partitions\":[{\"topic\":\"q\\\"b\\\\s/\\n\\t\\u0001\\u001f"
           "\xc3\xa9\",\"partition\":2147483647,\"replicas\":[2147483647,0],"
           "\"log_dirs\":[\"any\",\"any\"]}]}");
  auto back = parse_reassignment_plan(text);
  REQUIRE(back);
  CHECK(*back == plan);
}

TEST_CASE("invalid JSON and text after the plan are refused with the parser's line",
          "[cluster][reassignment_plan]") {
  CHECK(refusal("{\"version\":1,\n\"partitions\":[}") == "invalid JSON at line 2: expected value");
  CHECK(refusal(one_entry(R"("topic":"a","partition":0,"replicas":[1])") + "\n\n  x")
        == "invalid JSON at line 3: garbage after data");
  CHECK(refusal(one_entry(R"("topic":"a","partition":0,"replicas":[1])") + "{}")
        == "invalid JSON at line 1: garbage after data");
  CHECK(refusal("") == "invalid JSON at line 1: expected value");
  CHECK(refusal("{\"version\":1,\"partitions\":[{\"topic\":\"a\nb\"}]}")
        == "invalid JSON at line 1: invalid code sequence");
  CHECK(refusal(std::string(33, '[') + std::string(33, ']'))
        == "nested deeper than 32 levels");
  // Brackets inside strings are no nesting: this is refused for its missing partition.
  CHECK(refusal(one_entry("\"topic\":\"" + std::string(40, '[') + "\""))
        == "partitions[0] (topic '" + std::string(40, '[') + "') has no \"partition\"");
}

TEST_CASE("every prefix of a plan is refused and nothing throws",
          "[cluster][reassignment_plan]") {
  auto full = one_entry(R"("topic":"t","partition":1,"replicas":[1,2],"log_dirs":["any","any"])");
  REQUIRE(parse_reassignment_plan(full));
  for (size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    CHECK(refusal(full.substr(0, n)) != "accepted");  // Catch fails a CHECK that throws
  }
}

TEST_CASE("the plan's shape is refused when it is not an object with a version-1 partitions list",
          "[cluster][reassignment_plan]") {
  CHECK(refusal("[1,2]") == "the plan is not a JSON object");
  CHECK(refusal("\"plan\"") == "the plan is not a JSON object");
  CHECK(refusal(R"({"version":2,"partitions":[]})") == "\"version\" must be 1, not '2'");
  CHECK(refusal(R"({"version":"x","partitions":[]})") == "\"version\" must be 1, not 'x'");
  CHECK(refusal(R"({"version":[1],"partitions":[]})") == "\"version\" must be 1, not a list");
  CHECK(refusal(R"({"version":1})") == "the plan has no \"partitions\" list");
  CHECK(refusal(R"({"version":1,"partitions":[]})") == "\"partitions\" is empty");
  CHECK(refusal(R"({"version":1,"partitions":{"topic":"a"}})") == "\"partitions\" is not a list");
  CHECK(refusal(R"({"version":1,"partitions":"a"})") == "\"partitions\" is not a list");
  CHECK(refusal(R"({"version":1,"version":1,"partitions":[]})")
        == "the plan has \"version\" twice");
  CHECK(refusal(R"({"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1]},7]})")
        == "partitions[1] is not an object");
  CHECK(refusal(R"({"version":1,"partitions":[[{"topic":"a"}]]})")
        == "partitions[0] is not an object");
}

TEST_CASE("an entry without its topic or partition is refused naming the entry",
          "[cluster][reassignment_plan]") {
  CHECK(refusal(one_entry(R"("partition":0,"replicas":[1])")) == "partitions[0] has no \"topic\"");
  CHECK(refusal(one_entry(R"("topic":"","partition":0,"replicas":[1])"))
        == "partitions[0] has an empty \"topic\"");
  CHECK(refusal(one_entry(R"("topic":["a"],"partition":0,"replicas":[1])"))
        == "partitions[0]: \"topic\" is not a string: a list");
  CHECK(refusal(one_entry(R"("topic":"a","topic":"b","partition":0,"replicas":[1])"))
        == "partitions[0] has \"topic\" twice");
  CHECK(refusal(one_entry(R"("topic":"a","replicas":[1])"))
        == "partitions[0] (topic 'a') has no \"partition\"");
  CHECK(refusal(one_entry(R"("topic":"a","partition":"x","replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is not an integer: 'x'");
  CHECK(refusal(one_entry(R"("topic":"a","partition":1.5,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is not an integer: '1.5'");
  CHECK(refusal(one_entry(R"("topic":"a","partition":1e2,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is not an integer: '1e2'");
  CHECK(refusal(one_entry(R"("topic":"a","partition":null,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is not an integer: 'null'");
  CHECK(refusal(one_entry(R"("topic":"a","partition":{},"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is not an integer: ''");
  CHECK(refusal(one_entry(R"("topic":"a","partition":-1,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is negative: -1");
  CHECK(refusal(one_entry(R"("topic":"a","partition":-99999999999999999999,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is negative: -99999999999999999999");
  CHECK(refusal(one_entry(R"("topic":"a","partition":2147483648,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is out of range: 2147483648");
  CHECK(refusal(one_entry(R"("topic":"a","partition":99999999999999999999,"replicas":[1])"))
        == "partitions[0] (topic 'a'): \"partition\" is out of range: 99999999999999999999");
}

TEST_CASE("an entry's replicas must be a non-empty list of distinct broker ids",
          "[cluster][reassignment_plan]") {
  CHECK(refusal(one_entry(R"("topic":"a","partition":4)"))
        == "partitions[0] (a-4) has no \"replicas\"");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[])"))
        == "partitions[0] (a-4): \"replicas\" is empty");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":3)"))
        == "partitions[0] (a-4): \"replicas\" is not a list");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":{"b":1})"))
        == "partitions[0] (a-4): \"replicas\" is not a list");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[1,"b"])"))
        == "partitions[0] (a-4): replica id is not an integer: 'b'");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[1,[2]])"))
        == "partitions[0] (a-4): replica id is not an integer: a list");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[1,-2])"))
        == "partitions[0] (a-4): replica id is negative: -2");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[4294967297])"))
        == "partitions[0] (a-4): replica id is out of range: 4294967297");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[3,1,3])"))
        == "partitions[0] (a-4): replica 3 is listed twice");
  CHECK(refusal(one_entry(R"("topic":"a","partition":4,"replicas":[1],"replicas":[2])"))
        == "partitions[0] has \"replicas\" twice");
}

TEST_CASE("log_dirs, if given, is one \"any\" per replica",
          "[cluster][reassignment_plan]") {
  CHECK(refusal(one_entry(R"("topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any"])"))
        == "partitions[0] (a-0): \"log_dirs\" names 1 dir(s) for 2 replica(s)");
  CHECK(refusal(one_entry(R"("topic":"a","partition":0,"replicas":[1],"log_dirs":[])"))
        == "partitions[0] (a-0): \"log_dirs\" names 0 dir(s) for 1 replica(s)");
  CHECK(refusal(one_entry(
          R"("topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any","/data/kafka"])"))
        == "partitions[0] (a-0): log dir '/data/kafka' is not \"any\" (a cafka broker has one "
           "log dir)");
  CHECK(refusal(one_entry(R"("topic":"a","partition":0,"replicas":[1],"log_dirs":"any")"))
        == "partitions[0] (a-0): \"log_dirs\" is not a list");
  CHECK(refusal(one_entry(R"("topic":"a","partition":0,"replicas":[1],"log_dirs":[["any"]])"))
        == "partitions[0] (a-0): log dir a list is not \"any\" (a cafka broker has one log dir)");
}

TEST_CASE("a topic-partition in two entries is refused naming both",
          "[cluster][reassignment_plan]") {
  CHECK(refusal(R"({"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1]},)"
                R"({"topic":"a","partition":1,"replicas":[1]},)"
                R"({"topic":"a","partition":0,"replicas":[2]}]})")
        == "partitions[2] (a-0): a-0 is already in partitions[0]");
}
