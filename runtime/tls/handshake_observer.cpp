#include "runtime/tls/handshake_observer.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

namespace cafka {

namespace {

std::atomic<bool> observing{false};

// What the observer knows about one handshake; owned by its SSL object (ex_data), freed
// with it.
struct handshake_record {
  std::string peer;    // "127.0.0.1:50312", taken when the handshake starts
  std::string reason;  // why it failed, once known
  bool done = false;   // the handshake finished: nothing after it is a refusal
  bool logged = false;
};

// Logs at most `burst` refusals per `window`; counts the rest and reports their number with
// the next line that gets through. A peer retrying in a loop cannot flood the log.
class refusal_log {
public:
  void write(const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= window) {
      window_start_ = now;
      in_window_ = 0;
    }
    if (in_window_++ >= burst) {
      ++suppressed_;
      return;
    }
    if (suppressed_ > 0) {
      spdlog::warn("TLS: {} (and {} more refusals not logged)", line, suppressed_);
      suppressed_ = 0;
    } else {
      spdlog::warn("TLS: {}", line);
    }
  }

private:
  static constexpr int burst = 5;
  static constexpr auto window = std::chrono::seconds{10};
  std::mutex mtx_;
  std::chrono::steady_clock::time_point window_start_{};
  int in_window_ = 0;
  uint64_t suppressed_ = 0;
};

// The latest fatal alert each peer sent this process, by "host:port" (a few peers only).
class alerts_by_peer {
public:
  void put(const std::string& peer, const std::string& alert) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (latest_.size() >= 64 && latest_.count(peer) == 0)
      latest_.clear();
    latest_[peer] = alert;
  }
  std::optional<std::string> get(const std::string& peer) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = latest_.find(peer);
    if (i == latest_.end())
      return std::nullopt;
    return i->second;
  }

private:
  std::mutex mtx_;
  std::map<std::string, std::string> latest_;
};

alerts_by_peer& peer_alerts() {
  static alerts_by_peer alerts;
  return alerts;
}

refusal_log& refusals() {
  static refusal_log log;
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
  if (SSL_is_server(ssl))
    refusals().write("refused " + rec.peer + ": " + why);
  else
    refusals().write("handshake with " + rec.peer + " failed: " + why);
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

int verify_peer(int preverify_ok, X509_STORE_CTX* ctx) {
  if (preverify_ok == 1)
    return 1;
  auto ssl = static_cast<SSL*>(
    X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (auto rec = ssl != nullptr ? record_of(ssl) : nullptr)
    rec->reason = std::string{"certificate verify failed: "}
                  + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)) + " ("
                  + subject_of(X509_STORE_CTX_get_current_cert(ctx)) + ")";
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
    auto rec = new handshake_record{peer_of(ssl), {}, false, false};
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

} // namespace

void observe_tls_handshakes() {
  observing = true;
}

std::optional<std::string> tls_alert_from(const std::string& host, uint16_t port) {
  return peer_alerts().get(host + ":" + std::to_string(port));
}

} // namespace cafka

// See handshake_observer.hpp. Requires: the executable exports this symbol (CMake links with
// --export-dynamic-symbol=SSL_CTX_set_verify), so that libcaf_openssl's call binds here.
extern "C" void SSL_CTX_set_verify(SSL_CTX* ctx, int mode, SSL_verify_cb cb) {
  using set_verify_fn = void (*)(SSL_CTX*, int, SSL_verify_cb);
  static auto next = reinterpret_cast<set_verify_fn>(dlsym(RTLD_NEXT, "SSL_CTX_set_verify"));
  if (next == nullptr) {
    spdlog::critical("TLS: libssl's SSL_CTX_set_verify not found: {}", dlerror());
    std::abort();
  }
  if (cafka::observing && cb == nullptr && (mode & SSL_VERIFY_PEER) != 0) {
    cb = &cafka::verify_peer;
    SSL_CTX_set_info_callback(ctx, &cafka::on_handshake_event);
  }
  next(ctx, mode, cb);
}
