#include "runtime/security/base64.hpp"

#include <openssl/evp.h>

namespace cafka {

namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
         || c == '/';
}

// The number of '=' at the end of `text` if they are valid padding, or nullopt if `text`
// has a character outside the alphabet or a '=' anywhere else.
std::optional<size_t> padding_of(std::string_view text) {
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
    ++padding;
  for (size_t i = 0; i + padding < text.size(); ++i)
    if (!is_base64_char(text[i]))
      return std::nullopt;
  return padding;
}

} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0'); // + EVP_EncodeBlock's NUL
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  auto padding = padding_of(text);
  if (!padding)
    return std::nullopt;
  if (text.empty())
    return std::string{};
  // EVP_DecodeBlock decodes every group of four to three bytes, padding included.
  std::string out(text.size() / 4 * 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size())
    return std::nullopt;
  out.resize(out.size() - *padding);
  return out;
}

} // namespace cafka
