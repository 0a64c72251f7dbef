#include "actors/kafka/kafka_connection.hpp"

#include <map>

#include <caf/io/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "runtime/protocol/wire.hpp"

namespace cafka {

namespace {

struct connection_state {
  caf::io::connection_handle hdl;
  kafka_session_actor session;
  bool reading_size = true;
  bool halted = false;
  uint64_t next_seq = 0;    // given to the next request read
  uint64_t next_write = 0;  // the request whose answer goes out next
  std::map<uint64_t, std::string> done;  // answers waiting for an earlier one
  static inline const char* name = "kafka-connection";
};

using connection_self = caf::io::stateful_broker<connection_state>*;

void read_size(connection_self self) {
  self->state.reading_size = true;
  self->configure_read(self->state.hdl, caf::io::receive_policy::exactly(4));
}

// Writes every answer that is next in request order; resumes reading when the backlog
// shrank below the cap.
void write_ready(connection_self self) {
  auto& st = self->state;
  bool wrote = false;
  for (auto i = st.done.find(st.next_write); i != st.done.end();
       i = st.done.find(st.next_write)) {
    if (!i->second.empty()) {
      self->write(st.hdl, i->second.size(), i->second.data());
      wrote = true;
    }
    st.done.erase(i);
    ++st.next_write;
  }
  if (wrote)
    self->flush(st.hdl);
  if (st.halted && st.next_seq - st.next_write < kafka_max_in_flight) {
    st.halted = false;
    self->trigger(st.hdl);
  }
}

void on_data(connection_self self, caf::io::new_data_msg& msg, int32_t max_bytes) {
  auto& st = self->state;
  if (st.reading_size) {
    auto size = static_cast<int32_t>(wire::load_be32(msg.buf.data()));
    if (size < 8 || size > max_bytes) {
      spdlog::warn("kafka: closing a connection: request size {} outside [8, {}]", size,
                   max_bytes);
      self->quit();
      return;
    }
    st.reading_size = false;
    self->configure_read(st.hdl, caf::io::receive_policy::exactly(static_cast<size_t>(size)));
    return;
  }
  // The scribe reuses its buffer: the frame is copied once into the message.
  self->send(st.session, kafka_frame_atom::value, st.next_seq++,
             std::string{msg.buf.begin(), msg.buf.end()});
  read_size(self);
  if (st.next_seq - st.next_write >= kafka_max_in_flight && !st.halted) {
    st.halted = true;
    self->halt(st.hdl);
  }
}

caf::behavior connection_behavior(connection_self self, caf::io::connection_handle hdl,
                                  kafka_session_context ctx) {
  auto& st = self->state;
  st.hdl = hdl;
  auto max_bytes = ctx.max_request_bytes;
  st.session = spawn_kafka_session(self, std::move(ctx));
  read_size(self);
  return {
    [=](caf::io::new_data_msg& msg) { on_data(self, msg, max_bytes); },
    [=](kafka_reply_atom, uint64_t seq, std::string& frame) {
      self->state.done.emplace(seq, std::move(frame));
      write_ready(self);
    },
    [=](kafka_close_atom, const std::string& why) {
      spdlog::warn("kafka: closing a connection: {}", why);
      self->quit();
    },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
  };
}

} // namespace

void fork_kafka_connection(caf::io::broker* acceptor, caf::io::connection_handle hdl,
                           kafka_session_context ctx) {
  acceptor->fork(connection_behavior, hdl, std::move(ctx));
}

} // namespace cafka
