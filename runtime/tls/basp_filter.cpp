#include "runtime/tls/basp_filter.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/deep_to_string.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka::tls {

namespace {

// CAF 0.17's header flag for a receiver named by an atom (header.hpp).
constexpr uint8_t named_receiver_flag = 0x01;

// caf::message_id's bits (message_id.hpp).
constexpr uint64_t response_flag = 0x8000000000000000;
constexpr uint64_t category_mask = 0x3000000000000000;
constexpr uint64_t upstream_category = 0x2000000000000000;
constexpr uint64_t request_id_mask = 0x0FFFFFFFFFFFFFFF;

bool is_request(uint64_t message_id) {
  return (message_id & request_id_mask) != 0 && (message_id & response_flag) == 0;
}

// Portable names of the messages CAF's actors and brokers handle themselves
// (caf/type_nr.hpp, libcaf_io/src/io/middleman.cpp).
constexpr std::string_view system_types[] = {
  "@exit",           "@down",          "@group_down",          "@timeout",
  "@open_stream_msg", "@upstream_msg",  "@downstream_msg",     "@new_data_msg",
  "@new_connection_msg", "@acceptor_closed_msg", "@connection_closed_msg",
  "@connection_passivated_msg", "@acceptor_passivated_msg",
};

// CAF's own header checks (libcaf_io/src/io/basp/header.cpp, `valid`): CAF closes a
// connection whose header fails them, so the filter does it first.
bool header_valid(const basp_header& h) {
  switch (static_cast<basp_operation>(h.operation)) {
    case basp_operation::server_handshake:
      return h.operation_data != 0;
    case basp_operation::client_handshake:
      return h.source_actor == 0 && h.dest_actor == 0;
    case basp_operation::direct_message:
    case basp_operation::routed_message:
      return h.dest_actor != 0 && h.payload_len != 0;
    case basp_operation::monitor_message:
      return h.payload_len != 0 && h.operation_data == 0;
    case basp_operation::down_message:
      return h.source_actor != 0 && h.dest_actor == 0 && h.payload_len != 0
             && h.operation_data == 0;
    case basp_operation::heartbeat:
      return h.source_actor == 0 && h.dest_actor == 0 && h.payload_len == 0
             && h.operation_data == 0;
  }
  return false;
}

bool is_handshake(const basp_header& h) {
  return h.operation == static_cast<uint8_t>(basp_operation::server_handshake)
         || h.operation == static_cast<uint8_t>(basp_operation::client_handshake);
}

bool is_system_type(std::string_view name) {
  return std::find(std::begin(system_types), std::end(system_types), name)
           != std::end(system_types)
         || name.substr(0, 7) == "stream<";
}

// "@<>+a+b" -> {a, b}; nullopt if it is not CAF's message type list.
std::optional<std::vector<std::string_view>> split_type_list(std::string_view name) {
  std::vector<std::string_view> types;
  if (name == "@<>")
    return types;
  if (name.substr(0, 4) != "@<>+")
    return std::nullopt;
  name.remove_prefix(4);
  for (;;) {
    auto plus = name.find('+');
    types.push_back(name.substr(0, plus));
    if (types.back().empty())
      return std::nullopt;
    if (plus == std::string_view::npos)
      return types;
    name.remove_prefix(plus + 1);
  }
}

// CAF's BASP broker sends (sys, get, "info") to the named actor SpawnServ of every node it
// learns about; only that exact message counts.
bool is_info_query(const char* data, size_t size) {
  caf::binary_deserializer source{nullptr, data, size};
  size_t stages = 1;
  uint16_t type_nr = 1;
  std::string name;
  uint64_t first = 0;
  uint64_t second = 0;
  return !source.begin_sequence(stages) && stages == 0 && !source.begin_object(type_nr, name)
         && type_nr == 0 && name == "@<>+@atom+@atom+@str" && !source(first, second)
         && static_cast<caf::atom_value>(first) == caf::atom("sys")
         && static_cast<caf::atom_value>(second) == caf::atom("get");
}

// At most 200 printable characters of a line that may quote a peer, for the log.
std::string printable(const std::string& s) {
  std::string out;
  for (auto c : s.substr(0, 200))
    out += c >= 0x20 && c < 0x7f ? c : '?';
  if (s.size() > 200)
    out += "...";
  return out;
}

} // namespace

basp_header read_basp_header(const char* bytes) {
  basp_header h;
  h.operation = static_cast<uint8_t>(bytes[0]);
  h.flags = static_cast<uint8_t>(bytes[3]);
  h.payload_len = wire::load_be32(bytes + 4);
  h.operation_data = wire::load_be64(bytes + 8);
  h.source_actor = wire::load_be64(bytes + 16);
  h.dest_actor = wire::load_be64(bytes + 24);
  return h;
}

const char* to_string(basp_drop why) {
  switch (why) {
    case basp_drop::own_source:
      return "a routed message claims this process as its source";
    case basp_drop::forwarded_by_client:
      return "a client's routed message names another source node";
    case basp_drop::no_source:
      return "a routed message without a source node";
    case basp_drop::named_receiver:
      return "a message to a named CAF actor";
    case basp_drop::caf_info_query:
      return "CAF's info query to a named actor";
    case basp_drop::stages:
      return "a message with a forwarding stack";
    case basp_drop::stream_message:
      return "a stream message";
    case basp_drop::system_message:
      return "a CAF system message";
    case basp_drop::caf_atom:
      return "a link, unlink or sys message";
    case basp_drop::foreign_node:
      return "a monitor or down message with a forged source node";
    case basp_drop::relayed_for_client:
      return "a client's message for another node";
    case basp_drop::client_response:
      return "a response from a client";
    case basp_drop::malformed:
      return "a malformed payload";
  }
  return "?";
}

basp_filter::basp_filter(basp_filter_config cfg) : cfg_(std::move(cfg)) {
  frame_.reserve(basp_header_size);
}

basp_filter::~basp_filter() {
  if (handshaken_ && cfg_.bind && cfg_.release)
    cfg_.release(peer_node_);
}

uint64_t basp_filter::dropped_total() const {
  uint64_t n = 0;
  for (auto x : drops_)
    n += x;
  return n;
}

void basp_filter::feed(const char* data, size_t size) {
  while (size > 0 && !closed_) {
    size_t frame_size = basp_header_size + (header_ ? header_->payload_len : 0);
    auto n = std::min(frame_size - frame_.size(), size);
    frame_.insert(frame_.end(), data, data + n);
    data += n;
    size -= n;
    if (!header_ && frame_.size() == basp_header_size) {
      check_header();
      if (closed_)
        return;
    }
    if (header_ && frame_.size() == basp_header_size + header_->payload_len)
      finish_frame();
  }
}

size_t basp_filter::read_output(char* dst, size_t max) {
  auto n = std::min(max, output_size());
  std::memcpy(dst, out_.data() + out_pos_, n);
  out_pos_ += n;
  if (out_pos_ == out_.size()) {
    out_pos_ = 0;
    out_.clear();
    if (out_.capacity() > (1u << 20))
      std::vector<char>{}.swap(out_);
  }
  return n;
}

void basp_filter::check_header() {
  auto h = read_basp_header(frame_.data());
  if (h.operation > static_cast<uint8_t>(basp_operation::heartbeat))
    return close("operation", "unknown BASP operation " + std::to_string(h.operation));
  if (h.payload_len > cfg_.max_payload)
    return close("cap", "BASP payload of " + std::to_string(h.payload_len)
                 + " bytes exceeds the cap of " + std::to_string(cfg_.max_payload));
  if (!header_valid(h))
    return close("header",
                 "malformed BASP header (operation " + std::to_string(h.operation) + ")");
  if (!handshaken_ && !is_handshake(h))
    return close("order", "the first BASP frame is not a handshake");
  header_ = h;
}

void basp_filter::finish_frame() {
  auto payload = frame_.data() + basp_header_size;
  auto size = frame_.size() - basp_header_size;
  bool pass = true;
  switch (static_cast<basp_operation>(header_->operation)) {
    case basp_operation::server_handshake:
    case basp_operation::client_handshake:
      pass = check_handshake(payload, size);
      break;
    case basp_operation::direct_message:
      pass = check_content(payload, size);
      break;
    case basp_operation::routed_message:
      pass = check_routed(payload, size);
      break;
    case basp_operation::monitor_message:
    case basp_operation::down_message:
      pass = check_control(payload, size);
      break;
    case basp_operation::heartbeat:
      break;
  }
  if (closed_)
    return;
  if (pass && output_size() == 0) {
    // The usual case, CAF having read everything before: the frame becomes the output
    // without a copy.
    out_.clear();
    out_pos_ = 0;
    out_.swap(frame_);
  } else if (pass) {
    out_.insert(out_.end(), frame_.begin(), frame_.end());
  }
  header_.reset();
  frame_.clear();
  if (frame_.capacity() > (1u << 20)) {
    std::vector<char>{}.swap(frame_);
    frame_.reserve(basp_header_size);
  }
}

bool basp_filter::check_handshake(const char* payload, size_t size) {
  caf::binary_deserializer source{nullptr, payload, size};
  caf::node_id claimed;
  if (auto err = source(claimed)) {
    close("handshake", "unreadable BASP handshake");
    return false;
  }
  if (!claimed) {
    close("handshake", "a BASP handshake without a node id");
    return false;
  }
  if (handshaken_) {
    // CAF's client repeats its handshake once it has the server's (select_connection_flag).
    if (header_->operation == static_cast<uint8_t>(basp_operation::client_handshake)
        && claimed == peer_node_)
      return true;
    close("second handshake",
          "a second BASP handshake, for node id " + caf::to_string(claimed));
    return false;
  }
  if (cfg_.is_local && cfg_.is_local(claimed)) {
    close("own node id", "the BASP handshake claims this process's own node id "
          + caf::to_string(claimed));
    return false;
  }
  if (cfg_.bind) {
    if (auto err = cfg_.bind(claimed, cfg_.peer)) {
      close("bind", describe(err));
      return false;
    }
  }
  handshaken_ = true;
  peer_node_ = claimed;
  return true;
}

bool basp_filter::check_routed(const char* payload, size_t size) {
  caf::binary_deserializer source{nullptr, payload, size};
  caf::node_id from;
  caf::node_id to;
  if (auto err = source(from, to))
    return drop(basp_drop::malformed, "routed message without source and destination");
  if (!from)
    return drop(basp_drop::no_source);
  // CAF's delegate keeps a request's sender: a node that passes on a request an actor of
  // this process sent it makes exactly this. Nothing else may name this process.
  if (cfg_.is_local && cfg_.is_local(from)
      && (!cfg_.peer.is_node || !is_request(header_->operation_data)))
    return drop(basp_drop::own_source, caf::to_string(from));
  if (!cfg_.peer.is_node && from != peer_node_)
    return drop(basp_drop::forwarded_by_client, caf::to_string(from));
  // CAF would relay it to `to`, where it arrives on a node's connection.
  if (!cfg_.peer.is_node && !(cfg_.is_local && cfg_.is_local(to)))
    return drop(basp_drop::relayed_for_client, caf::to_string(to));
  auto rest = source.remaining();
  return check_content(payload + (size - rest), rest);
}

bool basp_filter::check_control(const char* payload, size_t size) {
  caf::binary_deserializer source{nullptr, payload, size};
  caf::node_id from;
  caf::node_id to;
  if (auto err = source(from, to))
    return drop(basp_drop::malformed, "monitor or down message without its nodes");
  // CAF forwards them along its indirect routes, which nodes are while their direct
  // connections come up. A client relays nothing.
  if ((cfg_.is_local && cfg_.is_local(from)) || (!cfg_.peer.is_node && from != peer_node_))
    return drop(basp_drop::foreign_node, caf::to_string(from));
  if (!cfg_.peer.is_node && !(cfg_.is_local && cfg_.is_local(to)))
    return drop(basp_drop::relayed_for_client, caf::to_string(to));
  return true;
}

// `data` holds (stages, message): the forwarding stack, then CAF's message encoding,
// begin_object(0, "@<>+type1+type2...") and the elements (libcaf_core/src/message.cpp).
bool basp_filter::check_content(const char* data, size_t size) {
  const auto& h = *header_;
  if ((h.flags & named_receiver_flag) != 0)
    return is_info_query(data, size)
             ? drop(basp_drop::caf_info_query)
             : drop(basp_drop::named_receiver,
                    caf::to_string(static_cast<caf::atom_value>(h.dest_actor)));
  if ((h.operation_data & category_mask) >= upstream_category)
    return drop(basp_drop::stream_message);
  caf::binary_deserializer source{nullptr, data, size};
  size_t stages = 0;
  if (auto err = source.begin_sequence(stages))
    return drop(basp_drop::malformed, "no forwarding stack");
  if (stages != 0)
    return drop(basp_drop::stages);
  uint16_t type_nr = 0;
  std::string name;
  if (auto err = source.begin_object(type_nr, name))
    return drop(basp_drop::malformed, "no message type list");
  auto types = type_nr == 0 ? split_type_list(name) : std::nullopt;
  if (!types)
    return drop(basp_drop::malformed, "message type list " + name);
  bool response = (h.operation_data & response_flag) != 0;
  // CAF matches a response to its request by message id alone, never by sender, and no
  // node asks a client anything: a client's response could only answer someone else's
  // request.
  if (response && !cfg_.peer.is_node)
    return drop(basp_drop::client_response);
  if (types->empty())
    return true;
  if (types->front() == "@atom") {
    uint64_t first = 0;
    if (auto err = source(first))
      return drop(basp_drop::malformed, "message without its first atom");
    auto atom = static_cast<caf::atom_value>(first);
    // CAF's BASP intercepts (link|unlink, actor) whatever the message id; its actors answer
    // (sys, ...) themselves.
    if (atom == caf::atom("link") || atom == caf::atom("unlink")
        || (atom == caf::atom("sys") && !response))
      return drop(basp_drop::caf_atom, caf::to_string(atom));
  }
  if (response)
    return true;
  // An actor takes a lone asynchronous error as its own failure (CAF's default handler).
  if (types->size() == 1 && types->front() == "@error")
    return drop(basp_drop::system_message, "@error");
  for (auto t : *types)
    if (is_system_type(t))
      return drop(basp_drop::system_message, std::string{t});
  return true;
}

bool basp_filter::drop(basp_drop why, const std::string& detail) {
  ++drops_[static_cast<size_t>(why)];
  if (cfg_.on_drop)
    cfg_.on_drop(why, printable(detail));
  return false;
}

void basp_filter::close(const char* kind, const std::string& reason) {
  closed_ = true;
  close_kind_ = kind;
  close_reason_ = printable(reason);
  header_.reset();
  frame_.clear();
  frame_.shrink_to_fit();
}

uint32_t basp_payload_cap(const broker_defaults& d) {
  int64_t largest = std::max({int64_t{d.message_max_bytes}, int64_t{d.fetch_max_bytes},
                              int64_t{d.replica_fetch_max_bytes}, int64_t{0}});
  auto cap = largest + (int64_t{16} << 20);
  return static_cast<uint32_t>(std::min<int64_t>(cap, UINT32_MAX));
}

} // namespace cafka::tls
