#include "runtime/tls/openssl_shim.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/peer_identity.hpp"
#include "runtime/tls/peer_refusal_log.hpp"
#include "runtime/tls/peer_registry.hpp"

namespace cafka {

namespace {

std::atomic<bool> observing{false};

// What the observer knows about one handshake; owned by its SSL object (ex_data), freed
// with it.
struct handshake_record {
  std::string peer;    // "127.0.0.1:50312", taken when the handshake starts
  std::string reason;  // why it failed, once known
  std::string kind;    // what the refusal log counts repeats by; reason if empty
  bool done = false;   // the handshake finished: nothing after it is a refusal
  bool logged = false;
};

// The latest fatal alert each peer sent this process, by "host:port" (a few peers only).
class alerts_by_peer {
public:
  void put(const std::string& peer, const std::string& alert) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (latest_.size() >= 64 && latest_.count(peer) == 0)
      latest_.clear();
    latest_[peer] = {alert, std::chrono::steady_clock::now()};
  }
  // Only a recent alert explains a failure (an old one would blame a peer that is now
  // simply down).
  std::optional<std::string> get(const std::string& peer) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = latest_.find(peer);
    if (i == latest_.end()
        || std::chrono::steady_clock::now() - i->second.second > std::chrono::seconds{15})
      return std::nullopt;
    return i->second.first;
  }

private:
  std::mutex mtx_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> latest_;
};

alerts_by_peer& peer_alerts() {
  static alerts_by_peer alerts;
  return alerts;
}

tls::peer_refusal_log& refusals() {
  static tls::peer_refusal_log log{"TLS: "};
  return log;
}

std::string peer_of(const SSL* ssl) {
  int fd = SSL_get_fd(ssl);
  sockaddr_storage sa{};
  socklen_t len = sizeof(sa);
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return "an unknown peer";
  char host[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET) {
    auto in = reinterpret_cast<sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return std::string{host} + ":" + std::to_string(ntohs(in->sin_port));
  }
  auto in6 = reinterpret_cast<sockaddr_in6*>(&sa);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
  return "[" + std::string{host} + "]:" + std::to_string(ntohs(in6->sin6_port));
}

std::string subject_of(X509* cert) {
  if (cert == nullptr)
    return "no certificate";
  char buf[256] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return std::string{"subject "} + buf;
}

void report(const SSL* ssl, handshake_record& rec) {
  if (rec.logged)
    return;
  rec.logged = true;
  auto why = rec.reason.empty() ? "connection closed before the handshake finished" : rec.reason;
  auto kind = rec.kind.empty() ? why : rec.kind;
  if (SSL_is_server(ssl))
    refusals().write(rec.peer, kind, "refused " + rec.peer + ": " + why);
  else
    refusals().write(rec.peer, kind, "handshake with " + rec.peer + " failed: " + why);
}

// Runs in SSL_free: a handshake that never finished was refused, by either side.
void free_record(void* parent, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  auto rec = static_cast<handshake_record*>(ptr);
  if (rec == nullptr)
    return;
  if (!rec->done)
    report(static_cast<const SSL*>(parent), *rec);
  delete rec;
}

int record_index() {
  static int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_record);
  return index;
}

handshake_record* record_of(const SSL* ssl) {
  return static_cast<handshake_record*>(SSL_get_ex_data(ssl, record_index()));
}

// OpenSSL's verdict, plus: the peer's own certificate carries a cafka identity (a node id or
// a client name, tls::identity_of).
int verify_peer(int preverify_ok, X509_STORE_CTX* ctx) {
  auto ssl = static_cast<SSL*>(
    X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (preverify_ok == 1) {
    if (X509_STORE_CTX_get_error_depth(ctx) != 0)
      return 1;
    auto who = tls::identity_of(X509_STORE_CTX_get_current_cert(ctx));
    if (who)
      return 1;
    if (auto rec = ssl != nullptr ? record_of(ssl) : nullptr) {
      rec->reason = "the certificate carries no cafka identity: " + describe(who.error());
      rec->kind = "no identity";
    }
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (auto rec = ssl != nullptr ? record_of(ssl) : nullptr) {
    auto err = X509_STORE_CTX_get_error(ctx);
    rec->reason = std::string{"certificate verify failed: "}
                  + X509_verify_cert_error_string(err) + " ("
                  + subject_of(X509_STORE_CTX_get_current_cert(ctx)) + ")";
    // Not by subject: a peer could make every certificate's subject new.
    rec->kind = "verify " + std::to_string(err);
  }
  return 0;
}

std::string last_error() {
  auto err = ERR_peek_last_error();
  auto reason = err != 0 ? ERR_reason_error_string(err) : nullptr;
  return reason != nullptr ? reason : "";
}

// Follows a handshake: records the peer when it starts and the reason of a fatal alert or
// OpenSSL error; reports the refusal at the alert, or else when the SSL object is freed
// without a finished handshake (free_record). A finished handshake is never
// reported: a peer closing its connection later is not refused.
void on_handshake_event(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_HANDSHAKE_START) != 0 && record_of(ssl) == nullptr) {
    auto rec = new handshake_record{peer_of(ssl), {}, {}, false, false};
    SSL_set_ex_data(const_cast<SSL*>(ssl), record_index(), rec);
    return;
  }
  auto rec = record_of(ssl);
  if (rec == nullptr)
    return;
  // With TLS 1.3 a client's handshake is done before the server checks its certificate: the
  // server's refusal arrives as an alert afterwards.
  if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT && (ret >> 8) == SSL3_AL_FATAL)
    peer_alerts().put(rec->peer, SSL_alert_desc_string_long(ret));
  if (rec->logged || rec->done)
    return;
  if ((where & SSL_CB_HANDSHAKE_DONE) != 0) {
    rec->done = true;
    return;
  }
  if ((where & SSL_CB_ALERT) != 0 && (ret >> 8) == SSL3_AL_FATAL) {
    std::string alert = SSL_alert_desc_string_long(ret);
    if ((where & SSL_CB_READ) != 0)
      rec->reason = "the peer refused this process's certificate or handshake (" + alert + ")";
    else if (rec->reason.empty())
      rec->reason = last_error().empty() ? alert : last_error();
    report(ssl, *rec);
  } else if ((where & SSL_CB_EXIT) != 0 && ret <= 0 && rec->reason.empty()) {
    // Possibly stale (the thread's error queue is shared); used only if no better reason
    // comes and the handshake never finishes.
    rec->reason = last_error();
  }
}

// -- the BASP filter on CAF's TLS connections --------------------------------------------

// This process's CAF node ids and the payload cap, for every connection's filter.
class basp_settings {
public:
  void add_local(const caf::node_id& id) {
    std::lock_guard<std::mutex> guard{mtx_};
    local_.insert(id);
  }
  bool is_local(const caf::node_id& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return local_.count(id) > 0;
  }
  std::atomic<uint32_t> cap{tls::basp_payload_cap(broker_defaults{})};
  std::array<std::atomic<uint64_t>, tls::basp_drop_kinds> dropped{};

private:
  mutable std::mutex mtx_;
  std::set<caf::node_id> local_;
};

basp_settings& basp() {
  static basp_settings settings;
  return settings;
}

// One TLS connection's filter state; owned by its SSL object (ex_data), freed with it.
struct basp_connection {
  std::string peer;                         // "127.0.0.1:50312"
  std::string who;                          // "client 'client'", once the filter exists
  std::unique_ptr<tls::basp_filter> filter; // made at the first bytes after the handshake
  std::string refusal;                      // set: every read fails with it
  std::vector<char> scratch = std::vector<char>(16384);
  uint64_t holder = next_holder();          // tells its registry bindings apart

  static uint64_t next_holder() {
    static std::atomic<uint64_t> last{0};
    return ++last;
  }
};

// Closes a client's connection whose CAF node id a node's certificate took over
// (peer_registry::bind): its next read fails, and the shutdown makes sure CAF reads it now.
// Runs on the thread that serves every CAF connection of the process, before the evicted
// connection's SSL object (and with it `conn`) can be freed: its filter releases the binding
// first.
void evict(basp_connection* conn, int fd) {
  conn->refusal = "a node's certificate took over the CAF node id this client claimed";
  refusals().write(conn->peer, "basp evicted",
                   "closed the connection of " + conn->who + " at " + conn->peer + ": "
                     + conn->refusal);
  if (fd >= 0)
    ::shutdown(fd, SHUT_RDWR);
}

void free_connection(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<basp_connection*>(ptr);
}

int connection_index() {
  static int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_connection);
  return index;
}

// Marks the SSL_CTX objects CAF's OpenSSL module made (set in SSL_CTX_set_verify).
int caf_context_index() {
  static int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool filtered(const SSL* ssl) {
  return observing && SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), caf_context_index()) != nullptr;
}

basp_connection* connection_of(const SSL* ssl) {
  return static_cast<basp_connection*>(SSL_get_ex_data(ssl, connection_index()));
}

// Makes the connection's filter from the peer's verified certificate, or records why not.
void start_filter(SSL* ssl, basp_connection& conn) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  auto who = tls::identity_of(cert);
  if (SSL_get_verify_result(ssl) != X509_V_OK || !who) {
    conn.refusal = "no verified cafka identity";
    refusals().write(conn.peer, "basp identity",
                     "closed " + conn.peer + ": the peer has no verified cafka identity");
    return;
  }
  conn.who = tls::to_string(*who);
  tls::basp_filter_config cfg;
  cfg.peer = *who;
  cfg.max_payload = basp().cap.load();
  cfg.is_local = [](const caf::node_id& id) { return basp().is_local(id); };
  auto holder = conn.holder;
  auto fd = SSL_get_fd(ssl);
  auto self = &conn;
  cfg.bind = [holder, fd, self](const caf::node_id& id, const tls::peer_identity& x) {
    return tls::peer_registry::process().bind(id, x, holder, [self, fd] { evict(self, fd); });
  };
  cfg.release = [holder](const caf::node_id& id) {
    tls::peer_registry::process().release(id, holder);
  };
  auto peer = conn.peer;
  auto name = conn.who;
  cfg.on_drop = [peer, name](tls::basp_drop why, const std::string& detail) {
    ++basp().dropped[static_cast<size_t>(why)];
    // CAF's broker sends it to every new peer: routine, not a refusal.
    if (why == tls::basp_drop::caf_info_query)
      return;
    auto line = "dropped a BASP frame from " + name + " at " + peer + ": " + to_string(why);
    // The kind a repeat is counted by: the reason, and for system messages and CAF atoms
    // the offending name (one of few); never what else a peer chose.
    auto few = why == tls::basp_drop::system_message || why == tls::basp_drop::caf_atom;
    refusals().write(peer, std::string{"basp drop "} + to_string(why) + (few ? detail : ""),
                     detail.empty() ? line : line + " (" + detail + ")");
  };
  conn.filter = std::make_unique<tls::basp_filter>(std::move(cfg));
}

void feed_filter(basp_connection& conn, const char* data, size_t size) {
  auto& f = *conn.filter;
  f.feed(data, size);
  if (!f.closed())
    return;
  conn.refusal = f.close_reason();
  refusals().write(conn.peer, std::string{"basp close "} + f.close_kind(),
                   "closed the connection of " + conn.who + " at " + conn.peer + ": "
                     + f.close_reason());
}

// A failed read for CAF: SSL_get_error reports SSL_ERROR_SSL, so CAF closes the connection.
int refuse_read(const basp_connection& conn) {
  ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "BASP filter: %s", conn.refusal.c_str());
  return -1;
}

// SSL_read through the connection's filter; `next` is libssl's SSL_read.
int filtered_read(SSL* ssl, char* buf, int num, int (*next)(SSL*, void*, int)) {
  auto conn = connection_of(ssl);
  if (conn == nullptr) {
    conn = new basp_connection{peer_of(ssl), {}, nullptr, {}};
    SSL_set_ex_data(ssl, connection_index(), conn);
  }
  for (;;) {
    if (conn->filter != nullptr && conn->filter->output_size() > 0)
      return static_cast<int>(conn->filter->read_output(buf, static_cast<size_t>(num)));
    if (!conn->refusal.empty())
      return refuse_read(*conn);
    // Nothing complete to hand out: read until a frame completes, or libssl has nothing.
    int n = next(ssl, conn->scratch.data(), static_cast<int>(conn->scratch.size()));
    if (n <= 0)
      return n;
    if (conn->filter == nullptr)
      start_filter(ssl, *conn);
    if (conn->filter != nullptr)
      feed_filter(*conn, conn->scratch.data(), static_cast<size_t>(n));
  }
}

// What CAF may read without waiting for the socket: libssl's pending bytes plus what the
// filter holds (output, and a partial frame those bytes may complete); after a close
// verdict, enough that CAF reads and sees the error.
int filtered_pending(const SSL* ssl, int real) {
  auto conn = connection_of(ssl);
  if (conn == nullptr)
    return real;
  if (!conn->refusal.empty())
    return INT_MAX;
  if (conn->filter == nullptr)
    return real;
  auto held = conn->filter->output_size() + conn->filter->buffered();
  return static_cast<int>(std::min<size_t>(held + static_cast<size_t>(std::max(real, 0)),
                                           INT_MAX));
}

} // namespace

void install_openssl_shim() {
  observing = true;
}

std::optional<std::string> tls_alert_from(const std::string& host, uint16_t port) {
  return peer_alerts().get(host + ":" + std::to_string(port));
}

void note_local_caf_node(const caf::node_id& id) {
  if (id)
    basp().add_local(id);
}

void set_basp_payload_cap(uint32_t bytes) {
  basp().cap = bytes;
}

uint64_t basp_frames_dropped(tls::basp_drop why) {
  return basp().dropped[static_cast<size_t>(why)].load();
}

} // namespace cafka

namespace {

// libssl's definition of `name`, which the one in this file hides.
template <class F>
F libssl(const char* name) {
  auto f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (f == nullptr) {
    spdlog::critical("TLS: libssl's {} not found: {}", name, dlerror());
    std::abort();
  }
  return f;
}

} // namespace

// See openssl_shim.hpp. Requires: the executable exports these symbols (CMake links with
// --export-dynamic-symbol), so that libcaf_openssl's calls bind here.

extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
  static auto next = libssl<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  if (num <= 0 || !cafka::filtered(ssl))
    return next(ssl, buf, num);
  return cafka::filtered_read(ssl, static_cast<char*>(buf), num, next);
}

extern "C" int SSL_pending(const SSL* ssl) {
  static auto next = libssl<int (*)(const SSL*)>("SSL_pending");
  auto real = next(ssl);
  return cafka::filtered(ssl) ? cafka::filtered_pending(ssl, real) : real;
}

extern "C" int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto next = libssl<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return next(ssl, buf, num);
}

extern "C" int SSL_accept(SSL* ssl) {
  static auto next = libssl<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return next(ssl);
}

extern "C" int SSL_connect(SSL* ssl) {
  static auto next = libssl<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return next(ssl);
}

extern "C" void SSL_CTX_set_verify(SSL_CTX* ctx, int mode, SSL_verify_cb cb) {
  static auto next = libssl<void (*)(SSL_CTX*, int, SSL_verify_cb)>("SSL_CTX_set_verify");
  // Only CAF's contexts: other OpenSSL users in the process keep what they asked for.
  Dl_info caller{};
  bool from_caf = dladdr(__builtin_return_address(0), &caller) != 0
                  && caller.dli_fname != nullptr
                  && std::strstr(caller.dli_fname, "libcaf_openssl") != nullptr;
  if (cafka::observing && from_caf && cb == nullptr && (mode & SSL_VERIFY_PEER) != 0) {
    cb = &cafka::verify_peer;
    SSL_CTX_set_info_callback(ctx, &cafka::on_handshake_event);
    // Any non-null value: this context's connections pass the BASP filter.
    SSL_CTX_set_ex_data(ctx, cafka::caf_context_index(), ctx);
  }
  next(ctx, mode, cb);
}
