// Standard base64 (RFC 4648 section 4, with '=' padding) as SCRAM's messages carry salts,
// proofs and signatures, over OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock. Pure functions;
// any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cafka {

// The base64 text of `bytes` (padded; no line breaks).
std::string base64_encode(std::string_view bytes);

// The bytes of `text`, or nullopt unless it is canonical padded base64: a multiple of 4
// characters of the standard alphabet, '=' only as the last one or two. No whitespace.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace cafka
