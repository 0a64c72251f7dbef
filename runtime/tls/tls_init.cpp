#include "runtime/tls/tls_init.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "runtime/base/errc.hpp"
#include "runtime/storage/file_handle.hpp"
#include "runtime/storage/posix_env.hpp"
#include "runtime/tls/certificate_authority.hpp"
#include "runtime/tls/tls_files.hpp"

namespace cafka::tls {

namespace {

// A file to write: its name in the directory, what it is, its bytes and mode.
struct pending_file {
  std::string name;
  std::string what;
  std::string contents;
  mode_t mode;
};

std::string join(const std::string& dir, const std::string& name) {
  return (std::filesystem::path{dir} / name).string();
}

// The certificate and key files of `c`, named <stem>.pem and <stem>.key.
caf::error add_pair(std::vector<pending_file>& out, const credentials& c,
                    const std::string& stem, const std::string& what,
                    const std::string& passphrase) {
  auto cert = certificate_pem(c.certificate.get());
  if (!cert)
    return std::move(cert.error());
  auto key = private_key_pem(c.key.get(), passphrase);
  if (!key)
    return std::move(key.error());
  out.push_back({stem + ".pem", what + " certificate", std::move(*cert), cert_file_mode});
  out.push_back({stem + ".key", what + " private key", std::move(*key), key_file_mode});
  return {};
}

// Every file of init_tls_files, generated in memory.
caf::expected<std::vector<pending_file>> generate(const std::vector<node_config>& nodes,
                                                  const tls_init_options& o) {
  std::vector<pending_file> out;
  auto ca = make_cluster_ca(o.ca_days);
  if (!ca)
    return std::move(ca.error());
  if (auto err = add_pair(out, *ca, "ca", "cluster CA", o.passphrase))
    return err;
  for (auto& n : nodes) {
    auto c = issue_node_certificate(*ca, n.id, n.host, o.days);
    if (!c)
      return std::move(c.error());
    if (auto err = add_pair(out, *c, "node-" + to_string(n.id), "node " + to_string(n.id),
                            o.passphrase))
      return err;
  }
  auto client = issue_client_certificate(*ca, o.client_name, o.days);
  if (!client)
    return std::move(client.error());
  if (auto err = add_pair(out, *client, "client", "client '" + o.client_name + "'",
                          o.passphrase))
    return err;
  return out;
}

// A CAF config string literal.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + '"';
}

} // namespace

std::vector<std::string> tls_file_names(const std::vector<node_config>& nodes) {
  std::vector<std::string> out{"ca.pem", "ca.key"};
  for (auto& n : nodes) {
    out.push_back("node-" + to_string(n.id) + ".pem");
    out.push_back("node-" + to_string(n.id) + ".key");
  }
  out.push_back("client.pem");
  out.push_back("client.key");
  return out;
}

caf::expected<std::vector<written_file>> init_tls_files(const std::vector<node_config>& nodes,
                                                        const tls_init_options& o) {
  if (o.dir.empty())
    return make_error(errc::invalid_config, "no directory for the TLS files");
  if (!o.force) {
    for (auto& name : tls_file_names(nodes)) {
      std::error_code ec;
      auto path = join(o.dir, name);
      if (std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
        return make_error(errc::invalid_config,
                          path + " exists; pass --force to replace the cluster's certificates");
    }
  }
  auto files = generate(nodes, o);
  if (!files)
    return std::move(files.error());
  if (auto err = make_private_dir(o.dir))
    return err;
  std::vector<written_file> out;
  for (auto& f : *files) {
    auto path = join(o.dir, f.name);
    if (auto err = write_file_atomically(path, f.contents, f.mode))
      return err;
    out.push_back({path, f.what, f.mode});
  }
  return out;
}

std::string tls_section(const tls_section_options& o) {
  auto at = [&](const std::string& name) { return quoted(join(o.dir, name)); };
  std::string s = "\n[tls]\n"
                  "; Mutual TLS for every node-to-node and C++ client connection (written by "
                  "`cafka tls init`).\n";
  s += "ca-file=" + at("ca.pem") + "\n";
  s += "certificate=" + at("node-{id}.pem") + "\n";
  s += "key=" + at("node-{id}.key") + "\n";
  s += "client-certificate=" + at("client.pem") + "\n";
  s += "client-key=" + at("client.key") + "\n";
  if (!o.passphrase_file.empty())
    s += "key-passphrase-file=" + quoted(o.passphrase_file) + "\n";
  if (!o.passphrase_env.empty())
    s += "key-passphrase-env=" + quoted(o.passphrase_env) + "\n";
  return s;
}

caf::error append_to_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  // A symlinked config keeps its link: the file it points to is replaced.
  auto target = std::filesystem::canonical(path, ec);
  if (ec)
    return storage_error_from("stat", path, ec.value());
  struct stat st;
  if (::stat(target.c_str(), &st) != 0)
    return storage_error_from("stat", path, errno);
  auto old = storage::posix_env{}.read_file(target.string());
  if (!old)
    return std::move(old.error());
  auto contents = old->value_or(std::string{});
  if (!contents.empty() && contents.back() != '\n')
    contents += '\n';
  contents += text;
  return write_file_atomically(target.string(), contents, st.st_mode & 07777);
}

} // namespace cafka::tls
