// The BASP filter (runtime/tls/basp_filter.hpp) on frames built the way CAF 0.17 builds them:
// headers by hand, payloads with CAF's binary_serializer. Every frame is fed in one chunk
// and byte by byte; legitimate frames come out unchanged, forged ones are dropped or close
// the connection.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/system_messages.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/tls/basp_filter.hpp"
#include "tests/basp_frames.hpp"

using namespace cafka;
using namespace cafka::tls;

namespace {

using cafka::test::bytes;
using cafka::test::concat;

constexpr uint64_t async_id = 0x1000000000000000;  // caf::message_id{} (normal category)
constexpr uint64_t response_id = 0x9000000000000001;
constexpr uint64_t request_id = 0x1000000000000007;

caf::node_id node_of(uint8_t tag) {
  caf::node_id::default_data::host_id_type host{};
  host.fill(tag);
  return caf::make_node_id(1000u + tag, host);
}

bytes frame(uint8_t op, uint8_t flags, const bytes& payload, uint64_t op_data = 0,
            uint64_t source = 0, uint64_t dest = 0, int64_t len = -1) {
  return cafka::test::basp_frame(op, flags, payload, op_data, source, dest, len);
}

// The frames CAF's BASP sends.
struct wire : cafka::test::basp_encoder {

  bytes server_handshake(const caf::node_id& id) {
    return frame(0, 0, encode(id, std::vector<std::string>{"generic-caf-app"},
                              caf::actor_id{7}, std::set<std::string>{}),
                 1);
  }
  bytes client_handshake(const caf::node_id& id, uint8_t flags = 0) {
    return frame(1, flags, encode(id));
  }
  bytes direct(const caf::message& msg, uint64_t mid = async_id, uint8_t flags = 0) {
    return frame(2, flags, encode(std::vector<caf::strong_actor_ptr>{}, msg), mid, 3, 9);
  }
  bytes routed(const caf::node_id& from, const caf::node_id& to, const caf::message& msg,
               uint64_t mid = async_id) {
    return frame(3, 0, encode(from, to, std::vector<caf::strong_actor_ptr>{}, msg), mid, 3, 9);
  }
  bytes monitor(const caf::node_id& from, const caf::node_id& to) {
    return frame(4, 0, encode(from, to), 0, 0, 9);
  }
  bytes down(const caf::node_id& from, const caf::node_id& to) {
    return frame(5, 0, encode(from, to, caf::error{}), 0, 9, 0);
  }
};

bytes heartbeat() {
  return frame(6, 0, {});
}

const caf::node_id me = node_of(1);
const caf::node_id peer_node = node_of(2);
const caf::node_id other_node = node_of(3);

struct fixture {
  std::map<caf::node_id, peer_identity> bound;
  std::vector<caf::node_id> released;
  std::vector<std::pair<basp_drop, std::string>> drops;

  basp_filter make(peer_identity peer, uint32_t cap = 1 << 20) {
    basp_filter_config cfg;
    cfg.peer = std::move(peer);
    cfg.max_payload = cap;
    cfg.is_local = [](const caf::node_id& x) { return x == me; };
    cfg.bind = [this](const caf::node_id& id, const peer_identity& who) -> caf::error {
      auto [i, fresh] = bound.emplace(id, who);
      if (!fresh && i->second != who)
        return make_error(errc::cluster_authorization_failed, "already bound");
      return {};
    };
    cfg.release = [this](const caf::node_id& id) { released.push_back(id); };
    cfg.on_drop = [this](basp_drop why, const std::string& detail) {
      drops.emplace_back(why, detail);
    };
    return basp_filter{std::move(cfg)};
  }
};

bytes drain(basp_filter& f) {
  bytes out(f.output_size());
  out.resize(f.read_output(out.data(), out.size()));
  return out;
}

// The output of feeding `in` in one chunk, and checks that byte by byte gives the same.
bytes run(fixture& fx, const peer_identity& who, const bytes& in, bool& closed,
          std::string& reason) {
  auto whole = fx.make(who);
  whole.feed(in.data(), in.size());
  auto out = drain(whole);
  fx.bound.clear();
  fx.drops.clear();
  auto bytewise = fx.make(who);
  bytes out2;
  for (char c : in) {
    bytewise.feed(&c, 1);
    auto part = drain(bytewise);
    out2.insert(out2.end(), part.begin(), part.end());
  }
  CHECK(out == out2);
  CHECK(whole.closed() == bytewise.closed());
  CHECK(whole.close_reason() == bytewise.close_reason());
  CHECK(whole.dropped_total() == bytewise.dropped_total());
  closed = whole.closed();
  reason = whole.close_reason();
  return out;
}

} // namespace

TEST_CASE("basp filter: legitimate frames pass unchanged", "[tls][basp]") {
  wire w;
  fixture fx;
  bool closed = false;
  std::string reason;
  auto legit = concat({w.server_handshake(peer_node), heartbeat(),
                       w.direct(caf::make_message(std::string{"hello"}, int32_t{1})),
                       w.routed(other_node, me, caf::make_message(int64_t{5})),
                       w.direct(caf::make_message(caf::error{}), response_id),
                       w.direct(caf::make_message(caf::exit_msg{}), response_id),
                       w.monitor(peer_node, me), w.down(peer_node, me)});
  auto out = run(fx, node_identity(node_id{2}), legit, closed, reason);
  CHECK_FALSE(closed);
  CHECK(out == legit);
  CHECK(fx.drops.empty());
  REQUIRE(fx.bound.count(peer_node) == 1);
  CHECK(fx.bound[peer_node] == node_identity(node_id{2}));
}

TEST_CASE("basp filter: the binding ends with the filter, and only a bound one",
          "[tls][basp]") {
  wire w;
  fixture fx;
  {
    auto f = fx.make(client_identity("ops"));
    auto in = concat({w.client_handshake(peer_node), w.client_handshake(peer_node, 0x02)});
    f.feed(in.data(), in.size());
    CHECK(f.peer_node() == peer_node);
    CHECK(fx.released.empty());
  }
  CHECK(fx.released == std::vector<caf::node_id>{peer_node});
  fx.released.clear();
  {
    auto f = fx.make(client_identity("ops"));
    auto in = w.client_handshake(me);
    f.feed(in.data(), in.size());
    CHECK(f.closed());
  }
  CHECK(fx.released.empty());
}

TEST_CASE("basp filter: a client's handshake may repeat its node id once selected",
          "[tls][basp]") {
  wire w;
  fixture fx;
  bool closed = false;
  std::string reason;
  auto in = concat({w.client_handshake(peer_node), w.client_handshake(peer_node, 0x02),
                    w.direct(caf::make_message(int32_t{1}))});
  CHECK(run(fx, client_identity("ops"), in, closed, reason) == in);
  CHECK_FALSE(closed);
}

TEST_CASE("basp filter: handshake rules close the connection", "[tls][basp]") {
  wire w;
  fixture fx;
  bool closed = false;
  std::string reason;
  auto who = client_identity("client");
  SECTION("a handshake claiming this process's own node id") {
    auto out = run(fx, who, w.client_handshake(me), closed, reason);
    CHECK(out.empty());
    CHECK(closed);
    CHECK(reason == "the BASP handshake claims this process's own node id "
                      + caf::to_string(me));
  }
  SECTION("a first frame that is not a handshake") {
    auto out = run(fx, who, concat({heartbeat(), w.client_handshake(peer_node)}), closed,
                   reason);
    CHECK(out.empty());
    CHECK(reason == "the first BASP frame is not a handshake");
  }
  SECTION("a second handshake for another node id") {
    auto first = w.client_handshake(peer_node);
    auto out = run(fx, who, concat({first, w.client_handshake(other_node)}), closed, reason);
    CHECK(out == first);
    CHECK(reason == "a second BASP handshake, for node id " + caf::to_string(other_node));
  }
  SECTION("a node id bound to another identity") {
    fx.bound.emplace(peer_node, node_identity(node_id{2}));
    auto f = fx.make(who);
    auto in = w.client_handshake(peer_node);
    f.feed(in.data(), in.size());
    CHECK(f.output_size() == 0);
    CHECK(f.close_reason() == "cluster_authorization_failed: already bound");
    closed = true;
  }
  SECTION("an unknown operation") {
    auto out = run(fx, who, frame(9, 0, {}), closed, reason);
    CHECK(out.empty());
    CHECK(reason == "unknown BASP operation 9");
  }
  SECTION("a header CAF itself refuses") {
    auto out = run(fx, who, frame(2, 0, {}, 0, 0, 0), closed, reason);
    CHECK(reason == "malformed BASP header (operation 2)");
  }
  CHECK(closed);
}

TEST_CASE("basp filter: a 4 GiB payload length closes before any payload is buffered",
          "[tls][basp]") {
  fixture fx;
  auto f = fx.make(client_identity("client"), 64 << 20);
  auto in = frame(1, 0, {}, 0, 0, 0, 0xffffffff);
  bytes junk(4096, 'x');
  in.insert(in.end(), junk.begin(), junk.end());
  f.feed(in.data(), in.size());
  CHECK(f.closed());
  CHECK(f.close_reason() == "BASP payload of 4294967295 bytes exceeds the cap of 67108864");
  CHECK(f.buffered() == 0);
  CHECK(f.output_size() == 0);
  // Nothing more is taken after the verdict.
  f.feed(in.data(), in.size());
  CHECK(f.buffered() == 0);
}

TEST_CASE("basp filter: forged messages are dropped, the rest passes", "[tls][basp]") {
  wire w;
  fixture fx;
  bool closed = false;
  std::string reason;
  auto node_peer = node_identity(node_id{2});
  auto hs = w.server_handshake(peer_node);
  auto ok = w.direct(caf::make_message(int32_t{42}));
  auto check_dropped = [&](const peer_identity& who, const bytes& forged, basp_drop why) {
    auto out = run(fx, who, concat({hs, forged, ok}), closed, reason);
    CHECK_FALSE(closed);
    CHECK(out == concat({hs, ok}));
    REQUIRE(fx.drops.size() == 1);
    CHECK(fx.drops[0].first == why);
    return fx.drops[0].second;
  };
  SECTION("a routed message claiming this process as its source") {
    CHECK(check_dropped(node_peer, w.routed(me, me, caf::make_message(int32_t{1})),
                        basp_drop::own_source)
          == caf::to_string(me));
  }
  SECTION("a node passing on a request of this process's actor (CAF's delegate)") {
    auto delegated = w.routed(me, me, caf::make_message(int32_t{1}), request_id);
    CHECK(run(fx, node_peer, concat({hs, delegated}), closed, reason)
          == concat({hs, delegated}));
    CHECK(fx.drops.empty());
  }
  SECTION("a client's request claiming this process as its source") {
    check_dropped(client_identity("client"),
                  w.routed(me, me, caf::make_message(int32_t{1}), request_id),
                  basp_drop::own_source);
  }
  SECTION("a client forwarding for another node") {
    check_dropped(client_identity("client"),
                  w.routed(other_node, me, caf::make_message(int32_t{1})),
                  basp_drop::forwarded_by_client);
  }
  SECTION("a client's message for another node (CAF would relay it)") {
    CHECK(check_dropped(client_identity("client"),
                        w.routed(peer_node, other_node, caf::make_message(int32_t{1})),
                        basp_drop::relayed_for_client)
          == caf::to_string(other_node));
    fx.drops.clear();
    check_dropped(client_identity("client"), w.down(peer_node, other_node),
                  basp_drop::relayed_for_client);
    fx.drops.clear();
    check_dropped(client_identity("client"), w.monitor(peer_node, other_node),
                  basp_drop::relayed_for_client);
  }
  SECTION("a client's response, even an empty one (CAF matches responses by id alone)") {
    auto client = client_identity("client");
    check_dropped(client, w.direct(caf::make_message(int32_t{1}), response_id),
                  basp_drop::client_response);
    fx.drops.clear();
    check_dropped(client, w.direct(caf::message{}, response_id), basp_drop::client_response);
    fx.drops.clear();
    check_dropped(client, w.routed(peer_node, me, caf::make_message(int32_t{1}), response_id),
                  basp_drop::client_response);
  }
  SECTION("a client's own requests, messages and monitor/down messages to this node pass") {
    auto own = concat({w.routed(peer_node, me, caf::make_message(int32_t{1}), request_id),
                       w.direct(caf::make_message(int32_t{2}), request_id),
                       w.monitor(peer_node, me), w.down(peer_node, me)});
    CHECK(run(fx, client_identity("client"), concat({hs, own}), closed, reason)
          == concat({hs, own}));
    CHECK(fx.drops.empty());
  }
  SECTION("a node may forward for another node") {
    auto fwd = w.routed(other_node, me, caf::make_message(int32_t{1}));
    CHECK(run(fx, node_peer, concat({hs, fwd}), closed, reason) == concat({hs, fwd}));
  }
  SECTION("exit and down messages") {
    CHECK(check_dropped(node_peer, w.direct(caf::make_message(caf::exit_msg{
                                     caf::actor_addr{}, caf::exit_reason::kill})),
                        basp_drop::system_message)
          == "@exit");
    fx.drops.clear();
    check_dropped(node_peer, w.direct(caf::make_message(caf::down_msg{})),
                  basp_drop::system_message);
  }
  SECTION("an exit message inside a longer message, routed") {
    check_dropped(node_peer,
                  w.routed(peer_node, me, caf::make_message(int32_t{1}, caf::exit_msg{})),
                  basp_drop::system_message);
  }
  SECTION("a lone asynchronous error") {
    check_dropped(node_peer, w.direct(caf::make_message(caf::error{})),
                  basp_drop::system_message);
  }
  SECTION("link, unlink and sys") {
    check_dropped(node_peer, w.direct(caf::make_message(caf::atom("link"), int32_t{1})),
                  basp_drop::caf_atom);
    fx.drops.clear();
    check_dropped(node_peer,
                  w.direct(caf::make_message(caf::atom("unlink"), int32_t{1}), response_id),
                  basp_drop::caf_atom);
    fx.drops.clear();
    check_dropped(node_peer,
                  w.direct(caf::make_message(caf::atom("sys"), caf::atom("get"),
                                             std::string{"info"})),
                  basp_drop::caf_atom);
  }
  SECTION("a named receiver") {
    auto spawn = frame(2, 0x01,
                       w.encode(std::vector<caf::strong_actor_ptr>{},
                                caf::make_message(caf::atom("SPAWN"), std::string{"x"})),
                       async_id, 3, static_cast<uint64_t>(caf::atom("SpawnServ")));
    CHECK(check_dropped(node_peer, spawn, basp_drop::named_receiver) == "SpawnServ");
  }
  SECTION("CAF's own info query to SpawnServ") {
    auto query = frame(2, 0x01,
                       w.encode(std::vector<caf::strong_actor_ptr>{},
                                caf::make_message(caf::atom("sys"), caf::atom("get"),
                                                  std::string{"info"})),
                       0x1000000000000005, 3, static_cast<uint64_t>(caf::atom("SpawnServ")));
    check_dropped(node_peer, query, basp_drop::caf_info_query);
  }
  SECTION("a stream message id") {
    check_dropped(node_peer, w.direct(caf::make_message(int32_t{1}), 0x3000000000000000),
                  basp_drop::stream_message);
  }
  SECTION("a forwarding stack") {
    auto payload = concat({bytes{1}, w.encode(caf::make_message(int32_t{1}))});
    check_dropped(node_peer, frame(2, 0, payload, async_id, 3, 9), basp_drop::stages);
  }
  SECTION("a client's monitor or down message for another node") {
    auto client = client_identity("client");
    check_dropped(client, w.down(other_node, me), basp_drop::foreign_node);
    fx.drops.clear();
    check_dropped(client, w.monitor(other_node, me), basp_drop::foreign_node);
  }
  SECTION("a monitor or down message claiming this process as its source") {
    check_dropped(node_peer, w.down(me, me), basp_drop::foreign_node);
    fx.drops.clear();
    check_dropped(node_peer, w.monitor(me, other_node), basp_drop::foreign_node);
  }
  SECTION("a node forwards monitor and down messages of other nodes") {
    auto fwd = concat({w.down(other_node, me), w.monitor(other_node, me)});
    CHECK(run(fx, node_peer, concat({hs, fwd}), closed, reason) == concat({hs, fwd}));
    CHECK(fx.drops.empty());
  }
  SECTION("a payload that is no message") {
    check_dropped(node_peer, frame(2, 0, bytes{0, 0, 5}, async_id, 3, 9),
                  basp_drop::malformed);
  }
}

TEST_CASE("basp filter: the cap follows the cluster's largest message", "[tls][basp]") {
  broker_defaults d;
  CHECK(basp_payload_cap(d) == 52428800u + (16u << 20));
  d.replica_fetch_max_bytes = 100 << 20;
  CHECK(basp_payload_cap(d) == (100u << 20) + (16u << 20));
}
