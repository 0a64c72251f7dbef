#include "runtime/tls/certificate_authority.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "runtime/base/errc.hpp"
#include "runtime/tls/peer_identity.hpp"

namespace cafka::tls {

namespace {

caf::error bad(const std::string& what) {
  return make_error(errc::invalid_config, what);
}

caf::error check_days(int days) {
  if (days < 0 || days > max_days)
    return bad("certificate validity must be 0 to " + std::to_string(max_days)
               + " days, got " + std::to_string(days));
  return {};
}

// A DNS name: 1 to 253 characters of letters, digits, '.', '-' and '_'.
bool valid_dns_name(const std::string& host) {
  return !host.empty() && host.size() <= 253 && name_chars_only(host);
}

// The host as an IP address (brackets around an IPv6 address allowed), or null.
octets_ptr ip_address_of(const std::string& host) {
  auto h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  octets_ptr ip{a2i_IPADDRESS(h.c_str())};
  ERR_clear_error();
  return ip;
}

// Adds extension `nid` given in OpenSSL's config syntax ("critical,CA:TRUE", "hash", ...).
caf::error add_extension(X509* issuer, X509* subject, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  extension_ptr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value))};
  if (!ext || X509_add_ext(subject, ext.get(), -1) != 1)
    return openssl_error(std::string{"cannot add extension "} + OBJ_nid2sn(nid) + "=" + value);
  return {};
}

caf::error push_ia5(GENERAL_NAMES* names, int type, const std::string& text) {
  general_name_ptr g{GENERAL_NAME_new()};
  auto s = ASN1_IA5STRING_new();
  if (!g || s == nullptr || ASN1_STRING_set(s, text.data(), static_cast<int>(text.size())) != 1) {
    ASN1_IA5STRING_free(s);
    return openssl_error("cannot build subjectAltName entry '" + text + "'");
  }
  GENERAL_NAME_set0_value(g.get(), type, s);
  if (sk_GENERAL_NAME_push(names, g.get()) == 0)
    return openssl_error("cannot build subjectAltName");
  g.release();
  return {};
}

caf::error push_ip(GENERAL_NAMES* names, octets_ptr ip) {
  general_name_ptr g{GENERAL_NAME_new()};
  if (!g)
    return openssl_error("cannot build subjectAltName");
  GENERAL_NAME_set0_value(g.get(), GEN_IPADD, ip.release());
  if (sk_GENERAL_NAME_push(names, g.get()) == 0)
    return openssl_error("cannot build subjectAltName");
  g.release();
  return {};
}

// subjectAltName: the URIs, then the host as IP or DNS (if not empty).
caf::error add_subject_alt_name(X509* cert, const leaf_spec& spec) {
  general_names_ptr names{sk_GENERAL_NAME_new_null()};
  if (!names)
    return openssl_error("cannot build subjectAltName");
  for (auto& uri : spec.uris)
    if (auto err = push_ia5(names.get(), GEN_URI, uri))
      return err;
  if (!spec.host.empty()) {
    if (auto ip = ip_address_of(spec.host)) {
      if (auto err = push_ip(names.get(), std::move(ip)))
        return err;
    } else if (!valid_dns_name(spec.host)) {
      return bad("host '" + spec.host + "' is neither an IP address nor a DNS name");
    } else if (auto err = push_ia5(names.get(), GEN_DNS, spec.host)) {
      return err;
    }
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0)
    return {};
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return openssl_error("cannot add subjectAltName");
  return {};
}

caf::error set_serial(X509* cert) {
  bignum_ptr bn{BN_new()};
  // 128 random bits with the top one set: positive, never zero.
  if (!bn || BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1
      || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr)
    return openssl_error("cannot make a certificate serial number");
  return {};
}

// An unsigned version-3 certificate for `key` named CN=`cn`, issued by `issuer` (null:
// itself), valid from an hour ago for `days`.
caf::expected<cert_ptr> new_certificate(const std::string& cn, X509* issuer, EVP_PKEY* key,
                                        int days) {
  if (cn.empty() || cn.size() > 64)
    return bad("a certificate's common name is 1 to 64 bytes, got '" + cn + "'");
  cert_ptr cert{X509_new()};
  name_ptr name{X509_NAME_new()};
  if (!cert || !name || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return openssl_error("cannot make a certificate");
  if (auto err = set_serial(cert.get()))
    return err;
  auto cn_bytes = reinterpret_cast<const unsigned char*>(cn.c_str());
  if (X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, cn_bytes, -1, -1, 0) != 1
      || X509_set_subject_name(cert.get(), name.get()) != 1
      || X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer)
                                                            : name.get())
           != 1
      || X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr
      || X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) == nullptr
      || X509_set_pubkey(cert.get(), key) != 1)
    return openssl_error("cannot make the certificate of '" + cn + "'");
  return cert;
}

caf::error sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0)
    return openssl_error("cannot sign a certificate");
  return {};
}

caf::expected<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  if (n < 0)
    return openssl_error("cannot write PEM");
  return std::string{data, static_cast<size_t>(n)};
}

} // namespace

caf::expected<key_ptr> generate_key() {
  key_ptr key{EVP_EC_gen("P-256")};
  if (!key)
    return openssl_error("cannot generate an EC P-256 key");
  return key;
}

caf::expected<credentials> make_cluster_ca(int days) {
  if (auto err = check_days(days))
    return err;
  auto key = generate_key();
  if (!key)
    return std::move(key.error());
  auto cert = new_certificate("cafka cluster CA", nullptr, key->get(), days);
  if (!cert)
    return std::move(cert.error());
  auto x = cert->get();
  caf::error err;
  if ((err = add_extension(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"))
      || (err = add_extension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign"))
      || (err = add_extension(x, x, NID_subject_key_identifier, "hash"))
      || (err = sign(x, key->get())))
    return err;
  return credentials{std::move(*cert), std::move(*key)};
}

caf::expected<credentials> issue_certificate(const credentials& ca, const leaf_spec& spec) {
  if (!ca.certificate || !ca.key)
    return bad("no CA certificate and key to sign with");
  if (auto err = check_days(spec.days))
    return err;
  auto key = generate_key();
  if (!key)
    return std::move(key.error());
  auto issuer = ca.certificate.get();
  auto cert = new_certificate(spec.common_name, issuer, key->get(), spec.days);
  if (!cert)
    return std::move(cert.error());
  auto x = cert->get();
  caf::error err;
  if ((err = add_extension(issuer, x, NID_basic_constraints, "critical,CA:FALSE"))
      || (err = add_extension(issuer, x, NID_key_usage,
                              "critical,digitalSignature,keyAgreement"))
      || (err = add_extension(issuer, x, NID_ext_key_usage, "serverAuth,clientAuth"))
      || (err = add_extension(issuer, x, NID_subject_key_identifier, "hash"))
      || (err = add_extension(issuer, x, NID_authority_key_identifier, "keyid:always"))
      || (err = add_subject_alt_name(x, spec)) || (err = sign(x, ca.key.get())))
    return err;
  return credentials{std::move(*cert), std::move(*key)};
}

caf::expected<credentials> issue_node_certificate(const credentials& ca, node_id id,
                                                  const std::string& host, int days) {
  if (id.value < 0)
    return bad("node id " + to_string(id) + " is negative");
  if (host.empty())
    return bad("node " + to_string(id) + ": empty host");
  leaf_spec spec{"cafka node " + to_string(id), {node_uri(id)}, host, days};
  auto out = issue_certificate(ca, spec);
  if (!out)
    return make_error(errc::invalid_config,
                      "node " + to_string(id) + ": " + context_of(out.error()));
  return out;
}

caf::expected<credentials> issue_client_certificate(const credentials& ca,
                                                    const std::string& name, int days) {
  if (!valid_client_name(name))
    return bad("client name '" + name + "' must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
  return issue_certificate(ca, leaf_spec{"cafka client " + name, {client_uri(name)}, {}, days});
}

caf::expected<std::string> certificate_pem(X509* cert) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || cert == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1)
    return openssl_error("cannot write a certificate as PEM");
  return bio_text(bio.get());
}

caf::expected<std::string> private_key_pem(EVP_PKEY* key, const std::string& passphrase) {
  if (passphrase.size() > max_passphrase_bytes)
    return bad("the key passphrase is longer than " + std::to_string(max_passphrase_bytes)
               + " bytes");
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || key == nullptr)
    return openssl_error("cannot write a private key as PEM");
  int ok;
  if (passphrase.empty())
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  else
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(),
                                       const_cast<char*>(passphrase.data()),
                                       static_cast<int>(passphrase.size()), nullptr, nullptr);
  if (ok != 1)
    return openssl_error("cannot write a private key as PEM");
  return bio_text(bio.get());
}

} // namespace cafka::tls
