// The BASP filter: checks every frame a TLS peer sends before CAF's BASP broker sees it (CAF
// 0.17 trusts a connected peer fully). A pure per-connection state machine, owned by the
// connection's SSL object (openssl_shim.cpp); one thread at a time (the one reading it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/node_id.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/tls/peer_identity.hpp"

namespace cafka::tls {

// CAF 0.17's BASP header: 32 bytes, integers in network byte order
// (libcaf_io/caf/io/basp/header.hpp).
inline constexpr size_t basp_header_size = 32;

enum class basp_operation : uint8_t {
  server_handshake = 0,
  client_handshake = 1,
  direct_message = 2,
  routed_message = 3,
  monitor_message = 4,
  down_message = 5,
  heartbeat = 6,
};

struct basp_header {
  uint8_t operation = 0;
  uint8_t flags = 0;
  uint32_t payload_len = 0;
  uint64_t operation_data = 0;  // the message id for direct and routed messages
  uint64_t source_actor = 0;
  uint64_t dest_actor = 0;
};

// Reads a header from basp_header_size bytes.
basp_header read_basp_header(const char* bytes);

// Why the filter dropped a frame (the connection stays open).
enum class basp_drop : uint8_t {
  own_source,           // a routed message claims this process as its source (not a
                        // node's request: CAF's delegate makes those)
  forwarded_by_client,  // a client's routed message names a source other than the client
  no_source,            // a routed message without a valid source node
  named_receiver,       // addressed to one of CAF's named actors (ConfigServ, SpawnServ)
  caf_info_query,       // CAF's own (sys, get, "info") to a named actor, sent on each connect
  stages,               // carries a forwarding stack
  stream_message,       // a stream message id (CAF's upstream or downstream category)
  system_message,       // exit, down, timeout, stream or I/O messages, or a lone error
  caf_atom,             // begins with an atom CAF handles itself (link, unlink, sys)
  foreign_node,         // a monitor or down message from a client for another node, or
                        // from anyone for this process
  relayed_for_client,   // a client's routed, monitor or down message for another node
                        // (CAF would relay it: clients never route)
  client_response,      // a response from a client (no node asks a client anything)
  malformed,            // a payload that cannot be read
};
inline constexpr size_t basp_drop_kinds = 13;

// One line, e.g. "an exit, down, timeout, stream or I/O message, or a lone error".
const char* to_string(basp_drop why);

struct basp_filter_config {
  // The identity of the certificate the peer presented (verified by OpenSSL).
  peer_identity peer;
  // Frames whose payload is longer close the connection (basp_payload_cap).
  uint32_t max_payload = 0;
  // True for a CAF node id of an actor system of this process.
  std::function<bool(const caf::node_id&)> is_local;
  // Binds the handshake's node id to `peer` (peer_registry::bind); an error closes.
  std::function<caf::error(const caf::node_id&, const peer_identity&)> bind;
  // Undoes a successful bind when the filter (its connection) ends (peer_registry::release).
  std::function<void(const caf::node_id&)> release;
  // Told of each dropped frame, with a detail: the offending type name ("@exit") or atom
  // ("link") for system_message and caf_atom (one of few), the receiver's name or the
  // claimed node id for others, or ""; optional.
  std::function<void(basp_drop, const std::string&)> on_drop;
};

// Rules (docs/security.md): the first frame is a handshake, and the only later one is a
// client handshake repeating its node id (CAF's connection select); that node id is bound
// to the certificate and must not be this process's. A header with an unknown operation,
// fields CAF would refuse, or a payload over the cap closes the connection at once. A
// routed message must not claim this process as its source unless it is a node's request
// (CAF's delegate passes on a request with its sender), and on a client's connection its
// source must be the client. Direct and routed messages must not reach named actors,
// carry stages or stream ids, start with link/unlink/sys, or (unless a response) hold a CAF
// system message. Monitor and down messages must not name this process as their source, and
// on a client's connection must name the client.
class basp_filter {
public:
  explicit basp_filter(basp_filter_config cfg);
  ~basp_filter();

  basp_filter(const basp_filter&) = delete;
  basp_filter& operator=(const basp_filter&) = delete;

  // Takes bytes that TLS decrypted. Complete frames are checked at once: passed ones are
  // appended to the output, dropped ones counted. After a close verdict nothing more is
  // taken (and no payload of a closing frame is buffered).
  void feed(const char* data, size_t size);

  // Bytes of passed frames not yet read; whole frames only.
  size_t output_size() const { return out_.size() - out_pos_; }

  // Moves up to `max` output bytes to `dst`; returns how many.
  size_t read_output(char* dst, size_t max);

  // Bytes of an incomplete frame held back.
  size_t buffered() const { return frame_.size(); }

  bool closed() const { return closed_; }

  // Why the connection is to be closed (one line); empty while open.
  const std::string& close_reason() const { return close_reason_; }

  // Which rule closed it, in a word or two ("cap", "own node id", ...); "" while open.
  const char* close_kind() const { return close_kind_; }

  uint64_t dropped(basp_drop why) const { return drops_[static_cast<size_t>(why)]; }
  uint64_t dropped_total() const;

  // The node id of the peer's handshake; invalid before it.
  const caf::node_id& peer_node() const { return peer_node_; }

private:
  void check_header();
  void finish_frame();
  // Each returns true if the frame passes; a drop or close is recorded by them.
  bool check_handshake(const char* payload, size_t size);
  bool check_routed(const char* payload, size_t size);
  bool check_control(const char* payload, size_t size);
  bool check_content(const char* data, size_t size);
  bool drop(basp_drop why, const std::string& detail = {});
  void close(const char* kind, const std::string& reason);

  basp_filter_config cfg_;
  std::vector<char> frame_;            // the current frame: header, then payload
  std::optional<basp_header> header_;  // its header, once complete and accepted
  std::vector<char> out_;
  size_t out_pos_ = 0;
  bool handshaken_ = false;
  caf::node_id peer_node_;  // Invariant: bound (cfg_.bind) iff handshaken_
  bool closed_ = false;
  std::string close_reason_;
  const char* close_kind_ = "";
  std::array<uint64_t, basp_drop_kinds> drops_{};
};

// The largest BASP payload a legitimate peer of a cluster with these defaults sends: the
// largest of message-max-bytes, fetch-max-bytes and replica-fetch-max-bytes (one batch or
// one partition's fetch per message), plus 16 MiB for encoding, metadata and snapshots.
uint32_t basp_payload_cap(const broker_defaults& d);

} // namespace cafka::tls
