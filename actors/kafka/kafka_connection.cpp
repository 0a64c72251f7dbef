#include "actors/kafka/kafka_connection.hpp"

#include <map>

#include <caf/io/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/host_addresses.hpp"
#include "runtime/config/listener_config.hpp"
#include "runtime/protocol/wire.hpp"
#include "runtime/tls/kafka_tls.hpp"

namespace cafka {

namespace {

// Bytes asked of the socket per read: each read is handed over at once, so the broker never
// holds a partly read chunk (halting then would lose it) and a size prefix alone never makes
// it allocate the announced size.
constexpr size_t read_chunk = 64 * 1024;

// The largest frame a client may send before it authenticated on a SASL listener (Kafka's
// sasl.server.max.receive.size). Bare SASL tokens (kafka-python) may be shorter than a header.
constexpr int32_t pre_auth_max_request_bytes = 512 * 1024;

// Sent to itself: the TLS handshake's deadline.
using tls_deadline_atom = caf::atom_constant<caf::atom("tlsdeadln")>;

struct connection_state {
  caf::io::connection_handle hdl;
  kafka_session_actor session;
  int32_t max_request_bytes = 0;
  std::string in;              // bytes read and not yet cut into frames
  uint64_t next_seq = 0;       // given to the next frame cut
  uint64_t next_write = 0;     // the request whose answer goes out next
  std::map<uint64_t, std::string> done;    // answers waiting for an earlier one
  std::map<uint64_t, size_t> frame_bytes;  // request bytes at the session, by sequence
  size_t queued_bytes = 0;     // sum of frame_bytes
  size_t unsent_bytes = 0;     // answer bytes written but not yet on the socket
  uint64_t close_at = UINT64_MAX;  // close once every answer before this one is written
  bool reading = true;
  bool pre_auth = false;       // a SASL listener's client that has not authenticated yet
  bool subject_sent = false;   // the session knows the TLS client certificate's subject
  std::unique_ptr<tls::kafka_tls_stream> tls;  // null on a PLAINTEXT listener
  std::string peer;                             // "host:port" of the client
  static inline const char* name = "kafka-connection";
};

using connection_self = caf::io::stateful_broker<connection_state>*;

bool over_limits(const connection_state& st) {
  return st.next_seq - st.next_write >= kafka_max_in_flight
         || st.queued_bytes >= kafka_max_queued_request_bytes
         || st.unsent_bytes >= kafka_max_unsent_bytes;
}

// Puts what TLS wants sent on the socket. Requires: st.tls.
void send_tls_output(connection_self self) {
  auto& st = self->state;
  auto out = st.tls->take_output();
  if (out.empty())
    return;
  self->write(st.hdl, out.size(), out.data());
  st.unsent_bytes += out.size();
  self->flush(st.hdl);
}

// Closes a TLS connection that failed, after sending its alert, and logs why (rate-limited).
void close_failed_tls(connection_self self) {
  auto& st = self->state;
  if (st.tls->failed())
    tls::log_kafka_tls_refusal(st.peer, st.tls->failure());
  send_tls_output(self);
  self->quit();
}

// Cuts every whole frame out of the input while below the limits; closes the connection on
// a size outside [8, max]. Returns false if it closed.
bool cut_frames(connection_self self) {
  auto& st = self->state;
  size_t pos = 0;
  int32_t min = st.pre_auth ? 0 : 8;
  int32_t max = st.pre_auth ? pre_auth_max_request_bytes : st.max_request_bytes;
  while (st.close_at == UINT64_MAX && !over_limits(st) && st.in.size() - pos >= 4) {
    auto size = static_cast<int32_t>(wire::load_be32(st.in.data() + pos));
    if (size < min || size > max) {
      spdlog::warn("kafka: closing a connection: request size {} outside [{}, {}]{}", size,
                   min, max, st.pre_auth ? " before authentication" : "");
      self->quit();
      return false;
    }
    auto n = static_cast<size_t>(size);
    if (st.in.size() - pos - 4 < n)
      break;
    auto seq = st.next_seq++;
    st.frame_bytes.emplace(seq, n);
    st.queued_bytes += n;
    self->send(st.session, kafka_frame_atom::value, seq, st.in.substr(pos + 4, n));
    pos += 4 + n;
  }
  st.in.erase(0, pos);
  return true;
}

// Reads while below the limits, stops reading above them.
void adjust_reading(connection_self self) {
  auto& st = self->state;
  bool want = !over_limits(st) && st.close_at == UINT64_MAX;
  if (want && !st.reading)
    self->trigger(st.hdl);
  else if (!want && st.reading)
    self->halt(st.hdl);
  st.reading = want;
}

// Writes every answer that is next in request order, then cuts the frames that waited for
// room, and closes if a close was asked for at this point.
void write_ready(connection_self self) {
  auto& st = self->state;
  bool wrote = false;
  for (auto i = st.done.find(st.next_write); i != st.done.end();
       i = st.done.find(st.next_write)) {
    if (!i->second.empty() && st.tls != nullptr) {
      if (!st.tls->write(i->second.data(), i->second.size())) {
        close_failed_tls(self);
        return;
      }
      wrote = true;
    } else if (!i->second.empty()) {
      self->write(st.hdl, i->second.size(), i->second.data());
      st.unsent_bytes += i->second.size();
      wrote = true;
    }
    st.done.erase(i);
    ++st.next_write;
  }
  if (wrote && st.tls != nullptr)
    send_tls_output(self);
  else if (wrote)
    self->flush(st.hdl);
  if (st.next_write >= st.close_at) {
    self->quit();
    return;
  }
  if (cut_frames(self))
    adjust_reading(self);
}

void on_answer(connection_self self, uint64_t seq, std::string& frame) {
  auto& st = self->state;
  auto i = st.frame_bytes.find(seq);
  if (i == st.frame_bytes.end())
    return;  // not a request of this connection (or answered twice)
  st.queued_bytes -= i->second;
  st.frame_bytes.erase(i);
  st.done.emplace(seq, std::move(frame));
  write_ready(self);
}

// Decrypts what a TLS client sent into st.in; false if the connection closed.
bool on_tls_data(connection_self self, const std::vector<char>& buf) {
  auto& st = self->state;
  bool ok = st.tls->feed(buf.data(), buf.size(), st.in);
  if (!ok) {
    close_failed_tls(self);
    return false;
  }
  send_tls_output(self);
  if (!st.subject_sent && st.tls->handshake_done()) {
    // Before any frame of the client: the session knows whom it serves from the start.
    st.subject_sent = true;
    self->send(st.session, kafka_principal_atom::value, st.tls->peer_subject());
  }
  return true;
}

caf::behavior connection_behavior(connection_self self, caf::io::connection_handle hdl,
                                  kafka_session_context ctx,
                                  std::shared_ptr<const tls::kafka_server_context> tls) {
  auto& st = self->state;
  st.hdl = hdl;
  auto address = without_ipv4_mapping(self->remote_addr(hdl));
  st.peer = address + ":" + std::to_string(self->remote_port(hdl));
  if (tls != nullptr) {
    st.tls = std::make_unique<tls::kafka_tls_stream>(std::move(tls));
    self->delayed_send(self, std::chrono::seconds{tls::kafka_handshake_timeout_seconds},
                       tls_deadline_atom::value);
  }
  st.max_request_bytes = ctx.max_request_bytes;
  st.pre_auth = uses_sasl(ctx.listener);
  st.session = spawn_kafka_session(self, std::move(ctx), "/" + address);
  self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk));
  self->ack_writes(hdl, true);
  return {
    [=](caf::io::new_data_msg& msg) {
      auto& st = self->state;
      if (st.tls == nullptr)
        st.in.append(msg.buf.data(), msg.buf.size());
      else if (!on_tls_data(self, msg.buf))
        return;
      if (cut_frames(self))
        adjust_reading(self);
    },
    [=](const caf::io::data_transferred_msg& msg) {
      auto& st = self->state;
      st.unsent_bytes = static_cast<size_t>(msg.remaining);
      if (cut_frames(self))
        adjust_reading(self);
    },
    [=](kafka_reply_atom, uint64_t seq, std::string& frame) { on_answer(self, seq, frame); },
    [=](kafka_authed_atom) {
      auto& st = self->state;
      if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(st.session))
        return;
      st.pre_auth = false;
      if (cut_frames(self))
        adjust_reading(self);
    },
    [=](kafka_close_atom, uint64_t seq, const std::string& why) {
      spdlog::warn("kafka: closing a connection: {}", why);
      auto& st = self->state;
      st.close_at = std::min(st.close_at, seq);
      adjust_reading(self);
      write_ready(self);
    },
    [=](tls_deadline_atom) {
      auto& st = self->state;
      // Only its own timer (delayed_send to self) ends a handshake early.
      if (self->current_sender() != self->ctrl() || st.tls == nullptr
          || st.tls->handshake_done())
        return;
      tls::log_kafka_tls_refusal(st.peer, "TLS handshake not finished within "
                                            + std::to_string(
                                              tls::kafka_handshake_timeout_seconds)
                                            + " s");
      self->quit();
    },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
  };
}

} // namespace

caf::actor fork_kafka_connection(caf::io::broker* acceptor, caf::io::connection_handle hdl,
                                 kafka_session_context ctx,
                                 std::shared_ptr<const tls::kafka_server_context> tls) {
  return acceptor->fork(connection_behavior, hdl, std::move(ctx), std::move(tls));
}

} // namespace cafka
