#include "actors/kafka/kafka_connection.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include <caf/io/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "actors/kafka/kafka_metrics.hpp"
#include "runtime/base/host_addresses.hpp"
#include "runtime/config/listener_config.hpp"
#include "runtime/kafka/budget_grant.hpp"
#include "runtime/kafka/connection_budget.hpp"
#include "runtime/protocol/wire.hpp"
#include "runtime/tls/kafka_tls.hpp"

namespace cafka {

namespace {

// Bytes asked of the socket per read: each read is handed over at once, so the broker never
// holds a partly read chunk (halting then would lose it) and a size prefix alone never makes
// it allocate the announced size. CAF keeps a buffer of the size asked for per connection:
// small while the connection waits for a request, large while it reads a big one.
constexpr size_t small_read_chunk = 4 * 1024;
constexpr size_t read_chunk = 64 * 1024;

// The largest frame a client may send before it authenticated on a SASL listener (Kafka's
// sasl.server.max.receive.size). Bare SASL tokens (kafka-python) may be shorter than a header.
constexpr int32_t pre_auth_max_request_bytes = 512 * 1024;

// Sent to itself: the deadline of TLS handshake and SASL authentication.
using auth_deadline_atom = caf::atom_constant<caf::atom("authdeadl")>;
// Sent to itself: the connection may have been idle for connections-max-idle-ms.
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;
// Sent to itself: a throttle may be over.
using unthrottle_atom = caf::atom_constant<caf::atom("unthrottl")>;
// From the node's connection budget: request bytes were freed, the next frame may fit.
using bytes_freed_atom = caf::atom_constant<caf::atom("bytesfree")>;

// The connection's share of the node's budget: its slot, the request bytes it reserved and
// the answer bytes it holds. Given back when the connection's state ends (the broker quit).
class budget_lease : public budget_grant {
public:
  using budget_grant::budget_grant;
  ~budget_lease() {
    budget_->close(address_);
  }
};

struct connection_state {
  caf::io::connection_handle hdl;
  kafka_session_actor session;
  int32_t max_request_bytes = 0;
  std::string in;              // bytes read and not yet cut into frames
  uint64_t next_seq = 0;       // given to the next frame cut
  uint64_t next_write = 0;     // the request whose answer goes out next
  std::map<uint64_t, std::string> done;    // answers waiting for an earlier one
  size_t done_bytes = 0;       // sum of the sizes in done
  std::map<uint64_t, size_t> frame_bytes;  // request bytes at the session, by sequence
  size_t queued_bytes = 0;     // sum of frame_bytes
  // Invariant: lease holds queued_bytes + done_bytes + unsent_bytes, plus the size of the
  // frame being read if next_reserved.
  std::optional<budget_lease> lease;
  connection_budget::waker_ptr wake;  // sends this broker bytes_freed; made once
  bool next_reserved = false;  // the frame at the front of `in` has its bytes reserved
  bool waiting_bytes = false;  // the node's bytes are used up: wait for bytes_freed
  bool throttled = false;      // the session asked for a pause (quota): wait for unthrottle
  std::chrono::steady_clock::time_point throttled_until;
  std::chrono::steady_clock::time_point last_active;  // bytes read or written
  size_t read_size = 0;        // what the socket is asked for per read
  size_t unsent_bytes = 0;     // answer bytes written but not yet on the socket
  uint64_t close_at = UINT64_MAX;  // close once every answer before this one is written
  bool reading = true;
  bool pre_auth = false;       // a SASL listener's client that has not authenticated yet
  bool subject_sent = false;   // the session knows the TLS client certificate's subject
  std::unique_ptr<tls::kafka_tls_stream> tls;  // null on a PLAINTEXT listener
  std::string peer;                             // "host:port" of the client
  // The connection in cafka_kafka_connections{listener} while the broker runs.
  std::optional<kafka_connection_count> counted;
  static inline const char* name = "kafka-connection";
};

using connection_self = caf::io::stateful_broker<connection_state>*;

bool over_limits(const connection_state& st) {
  return st.waiting_bytes || st.throttled || st.next_seq - st.next_write >= kafka_max_in_flight
         || st.queued_bytes >= kafka_max_queued_request_bytes
         || st.done_bytes + st.unsent_bytes >= kafka_max_answer_bytes;
}

// Puts what TLS wants sent on the socket. Requires: st.tls.
void send_tls_output(connection_self self) {
  auto& st = self->state;
  auto out = st.tls->take_output();
  if (out.empty())
    return;
  self->write(st.hdl, out.size(), out.data());
  st.unsent_bytes += out.size();
  st.lease->hold(out.size());
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

// Reserves the bytes of the next frame from the node's budget; if they do not fit, stops
// until the budget says bytes were freed.
bool reserve_frame(connection_self self, size_t n) {
  auto& st = self->state;
  st.waiting_bytes = !st.lease->reserve(n, st.wake);
  return !st.waiting_bytes;
}

// The frame of `n` bytes after the size prefix at `pos` of `in`; moves `pos` past it. A big
// frame at the front of `in` moves out of it (`in` keeps only what follows, `pos` becomes 0),
// so a big frame is never held twice and `in` keeps none of its memory.
std::string take_frame(std::string& in, size_t& pos, size_t n) {
  if (pos > 0 || n <= read_chunk) {
    auto frame = in.substr(pos + 4, n);
    pos += 4 + n;
    return frame;
  }
  std::string frame = std::move(in);
  in = frame.substr(4 + n);
  frame.resize(4 + n);
  frame.erase(0, 4);
  pos = 0;
  return frame;
}

// Sizes what the connection keeps between reads to what it reads now: room for the rest of
// a big frame being read, else a small socket buffer and no memory a past frame needed.
void fit_buffers(connection_self self) {
  auto& st = self->state;
  size_t want = small_read_chunk;
  size_t room = 0;  // what `in` may keep: the frame being read, reserved from the budget
  if (st.next_reserved && st.in.size() >= 4) {
    room = 4 + static_cast<size_t>(wire::load_be32(st.in.data()));
    want = read_chunk;
  }
  if (st.in.capacity() > std::max(room, 2 * read_chunk))
    st.in.shrink_to_fit();
  st.in.reserve(room);
  if (want != st.read_size) {
    st.read_size = want;
    self->configure_read(st.hdl, caf::io::receive_policy::at_most(want));
  }
}

// Cuts every whole frame out of the input while below the limits, each once its bytes are
// reserved; closes the connection on a size outside [8, max]. Returns false if it closed.
bool cut_frames(connection_self self) {
  auto& st = self->state;
  size_t pos = 0;
  int32_t min = st.pre_auth ? 0 : 8;
  int32_t max = st.pre_auth ? std::min(pre_auth_max_request_bytes, st.max_request_bytes)
                            : st.max_request_bytes;
  while (st.close_at == UINT64_MAX && !over_limits(st) && st.in.size() - pos >= 4) {
    auto size = static_cast<int32_t>(wire::load_be32(st.in.data() + pos));
    if (size < min || size > max) {
      spdlog::warn("kafka: closing a connection: request size {} outside [{}, {}]{}", size,
                   min, max, st.pre_auth ? " before authentication" : "");
      self->quit();
      return false;
    }
    auto n = static_cast<size_t>(size);
    if (!st.next_reserved && !reserve_frame(self, n))
      break;
    st.next_reserved = true;
    if (st.in.size() - pos - 4 < n)
      break;
    st.next_reserved = false;
    auto seq = st.next_seq++;
    st.frame_bytes.emplace(seq, n);
    st.queued_bytes += n;
    self->send(st.session, kafka_frame_atom::value, seq, take_frame(st.in, pos, n));
  }
  st.in.erase(0, pos);
  fit_buffers(self);
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
    auto size = i->second.size();
    st.done_bytes -= size;
    if (size > 0 && st.tls != nullptr) {
      // The encrypted copy is held instead (send_tls_output).
      st.lease->release(size);
      if (!st.tls->write(i->second.data(), size)) {
        close_failed_tls(self);
        return;
      }
      wrote = true;
    } else if (size > 0) {
      self->write(st.hdl, size, i->second.data());
      st.unsent_bytes += size;
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
  st.lease->release(i->second);
  st.frame_bytes.erase(i);
  // The answer is held until the socket took it.
  st.lease->hold(frame.size());
  st.done_bytes += frame.size();
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

// Closes a client that has not finished its TLS handshake and SASL authentication in time.
void on_auth_deadline(connection_self self, int64_t timeout_ms) {
  auto& st = self->state;
  auto within = " within " + (timeout_ms % 1000 == 0 ? std::to_string(timeout_ms / 1000) + " s"
                                                    : std::to_string(timeout_ms) + " ms");
  if (st.tls != nullptr && !st.tls->handshake_done()) {
    tls::log_kafka_tls_refusal(st.peer, "TLS handshake not finished" + within);
    self->quit();
  } else if (st.pre_auth) {
    spdlog::warn("kafka: closing a connection: {} did not finish SASL authentication{}",
                 st.peer, within);
    self->quit();
  }
}

// Closes a connection that moved no bytes for `idle`, waits for no answer and is not held
// back by the node (a throttle, or the node's bytes while it holds no answer of its own:
// one whose answers sit unread is judged by the socket taking them); otherwise checks again
// when it could have been idle that long.
void on_idle_check(connection_self self, std::chrono::milliseconds idle) {
  auto& st = self->state;
  bool holds_answers = st.done_bytes + st.unsent_bytes > 0;
  if (st.next_write < st.next_seq || (st.waiting_bytes && !holds_answers) || st.throttled)
    st.last_active = std::chrono::steady_clock::now();  // answering, or not reading by choice
  auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - st.last_active);
  if (quiet >= idle) {
    spdlog::info("kafka: closing a connection: {} sent nothing for {} ms "
                 "(connections-max-idle-ms)", self->state.peer, idle.count());
    self->quit();
    return;
  }
  self->delayed_send(self, idle - quiet, idle_check_atom::value);
}

// The session asked for a pause of `ms`: no request is read or cut until it is over.
void throttle(connection_self self, int32_t ms) {
  auto& st = self->state;
  if (ms <= 0)
    return;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{ms};
  st.throttled_until = st.throttled ? std::max(st.throttled_until, until) : until;
  st.throttled = true;
  adjust_reading(self);
  self->delayed_send(self, std::chrono::milliseconds{ms}, unthrottle_atom::value);
}

caf::behavior connection_behavior(connection_self self, caf::io::connection_handle hdl,
                                  kafka_session_context ctx,
                                  std::shared_ptr<const tls::kafka_server_context> tls,
                                  std::shared_ptr<connection_budget> budget,
                                  std::string address) {
  auto& st = self->state;
  st.hdl = hdl;
  st.peer = address + ":" + std::to_string(self->remote_port(hdl));
  st.lease.emplace(std::move(budget), address);
  auto me = caf::actor_cast<caf::weak_actor_ptr>(self);
  st.wake = std::make_shared<const connection_budget::waker>([me] {
    if (auto p = caf::actor_cast<caf::actor>(me))
      caf::anon_send(p, bytes_freed_atom::value);
  });
  if (tls != nullptr)
    st.tls = std::make_unique<tls::kafka_tls_stream>(std::move(tls));
  st.max_request_bytes = ctx.max_request_bytes;
  st.counted.emplace(ctx.metrics, ctx.listener);
  st.pre_auth = uses_sasl(ctx.listener);
  auto auth_timeout_ms = ctx.cfg->limits.authentication_timeout_ms;
  auto idle = std::chrono::milliseconds{ctx.cfg->limits.connections_max_idle_ms};
  st.last_active = std::chrono::steady_clock::now();
  self->delayed_send(self, idle, idle_check_atom::value);
  if (st.tls != nullptr || st.pre_auth)
    self->delayed_send(self, std::chrono::milliseconds{auth_timeout_ms},
                       auth_deadline_atom::value);
  st.session = spawn_kafka_session(self, std::move(ctx), "/" + address);
  fit_buffers(self);
  self->ack_writes(hdl, true);
  auto from_session = [self] {
    return self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self->state.session);
  };
  auto from_self = [self] { return self->current_sender() == self->ctrl(); };
  auto resume = [self] {
    if (cut_frames(self))
      adjust_reading(self);
  };
  return {
    [=](caf::io::new_data_msg& msg) {
      auto& st = self->state;
      st.last_active = std::chrono::steady_clock::now();
      if (st.tls == nullptr)
        st.in.append(msg.buf.data(), msg.buf.size());
      else if (!on_tls_data(self, msg.buf))
        return;
      resume();
    },
    [=](const caf::io::data_transferred_msg& msg) {
      auto& st = self->state;
      st.last_active = std::chrono::steady_clock::now();
      auto remaining = static_cast<size_t>(msg.remaining);
      if (remaining < st.unsent_bytes) {
        st.lease->release(st.unsent_bytes - remaining);
        st.unsent_bytes = remaining;
      }
      if (st.unsent_bytes == 0) {
        // CAF keeps what a big answer needed; an idle connection gives it back.
        auto& out = self->wr_buf(st.hdl);
        if (out.empty() && out.capacity() > 2 * read_chunk)
          out.shrink_to_fit();
      }
      resume();
    },
    [=](kafka_reply_atom, uint64_t seq, std::string& frame) { on_answer(self, seq, frame); },
    [=](kafka_authed_atom) {
      if (!from_session())
        return;
      self->state.pre_auth = false;
      resume();
    },
    [=](kafka_close_atom, uint64_t seq, const std::string& why) {
      spdlog::warn("kafka: closing a connection: {}", why);
      auto& st = self->state;
      st.close_at = std::min(st.close_at, seq);
      adjust_reading(self);
      write_ready(self);
    },
    [=](kafka_throttle_atom, int32_t ms) {
      if (from_session())
        throttle(self, ms);
    },
    [=](unthrottle_atom) {
      auto& st = self->state;
      if (!from_self() || !st.throttled)
        return;
      if (std::chrono::steady_clock::now() < st.throttled_until)
        return;  // a later throttle's own timer ends it
      st.throttled = false;
      resume();
    },
    [=](bytes_freed_atom) {
      auto& st = self->state;
      if (!st.waiting_bytes)
        return;
      st.waiting_bytes = false;
      resume();
    },
    [=](idle_check_atom) {
      if (from_self())
        on_idle_check(self, idle);
    },
    [=](auth_deadline_atom) {
      // Only its own timer (delayed_send to self) ends a client's authentication early.
      if (from_self())
        on_auth_deadline(self, auth_timeout_ms);
    },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
  };
}

} // namespace

caf::actor fork_kafka_connection(caf::io::broker* acceptor, caf::io::connection_handle hdl,
                                 kafka_session_context ctx,
                                 std::shared_ptr<const tls::kafka_server_context> tls,
                                 std::shared_ptr<connection_budget> budget,
                                 std::string address) {
  return acceptor->fork(connection_behavior, hdl, std::move(ctx), std::move(tls),
                        std::move(budget), std::move(address));
}

} // namespace cafka
