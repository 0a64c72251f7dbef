#include "runtime/tls/pem_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "runtime/base/errc.hpp"

namespace cafka::tls {

namespace {

caf::error bad(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_config, path + ": " + what);
}

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// A memory BIO holding a copy of the file; this thread's OpenSSL error queue emptied.
caf::expected<bio_ptr> open_pem(const std::string& path) {
  auto bytes = read_small_file(path);
  if (!bytes)
    return std::move(bytes.error());
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || BIO_write(bio.get(), bytes->data(), static_cast<int>(bytes->size()))
                != static_cast<int>(bytes->size()))
    return openssl_error(path);
  ERR_clear_error();
  return bio;
}

// True if the last queued error is PEM's "no start line": the reader found no further block.
bool at_end_of_pem() {
  auto code = ERR_peek_last_error();
  return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

struct passphrase_state {
  const std::string* passphrase;
  bool asked = false;
};

// pem_password_cb: hands over the passphrase (never prompts).
int give_passphrase(char* buf, int size, int, void* user) {
  auto st = static_cast<passphrase_state*>(user);
  st->asked = true;
  auto& p = *st->passphrase;
  if (p.empty() || p.size() > static_cast<size_t>(size))
    return -1;
  std::memcpy(buf, p.data(), p.size());
  return static_cast<int>(p.size());
}

} // namespace

caf::expected<std::string> read_small_file(const std::string& path) {
  std::unique_ptr<std::FILE, file_closer> f{std::fopen(path.c_str(), "rb")};
  if (!f)
    return bad(path, std::string{"cannot read ("} + std::strerror(errno) + ")");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) {
    out.append(buf, n);
    if (out.size() > max_pem_file_bytes)
      return bad(path, "larger than " + std::to_string(max_pem_file_bytes) + " bytes");
  }
  if (std::ferror(f.get()))
    return bad(path, std::string{"cannot read ("} + std::strerror(errno) + ")");
  return out;
}

caf::expected<std::string> read_passphrase_file(const std::string& path) {
  auto text = read_small_file(path);
  if (!text)
    return text;
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r'))
    text->pop_back();
  return text;
}

caf::expected<std::vector<cert_ptr>> read_certificates(const std::string& path) {
  auto bio = open_pem(path);
  if (!bio)
    return std::move(bio.error());
  std::vector<cert_ptr> out;
  for (;;) {
    cert_ptr c{PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)};
    if (!c)
      break;
    out.push_back(std::move(c));
  }
  if (!at_end_of_pem())
    return bad(path, "not a PEM certificate (" + openssl_error_string() + ")");
  ERR_clear_error();
  if (out.empty())
    return bad(path, "no PEM certificate");
  return out;
}

caf::expected<key_ptr> read_private_key(const std::string& path,
                                        const std::string& passphrase) {
  auto bio = open_pem(path);
  if (!bio)
    return std::move(bio.error());
  passphrase_state st{&passphrase};
  key_ptr key{PEM_read_bio_PrivateKey(bio->get(), nullptr, give_passphrase, &st)};
  ERR_clear_error();
  if (key)
    return key;
  if (st.asked && passphrase.empty())
    return bad(path, "encrypted, and no passphrase was given");
  if (st.asked)
    return bad(path, "wrong passphrase or not a PEM private key");
  return bad(path, "not a PEM private key");
}

} // namespace cafka::tls
