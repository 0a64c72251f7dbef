// Tests of base64 (runtime/security/base64.hpp): RFC 4648's test vectors both ways, and the
// inputs the strict decoder refuses.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "runtime/security/base64.hpp"

using namespace cafka;

TEST_CASE("base64 encodes and decodes RFC 4648's test vectors", "[security][base64]") {
  // RFC 4648 section 10.
  const std::pair<std::string, std::string> vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
  };
  for (auto& [bytes, text] : vectors) {
    CHECK(base64_encode(bytes) == text);
    CHECK(base64_decode(text) == bytes);
  }
  std::string binary{"\x00\xff\xfe,=\x00", 6};
  CHECK(base64_encode(binary) == "AP/+LD0A");
  CHECK(base64_decode("AP/+LD0A") == binary);
}

TEST_CASE("base64 decoding refuses anything but canonical padded text", "[security][base64]") {
  for (auto bad : {"Zg", "Zg=", "Zm9vY", "Z===", "====", "Zg=a", "Z=g=", "Zm9v\n", " Zm9v",
                   "Zm 9", "Zm9-", "Zm9_", "Zm9v===="})
    CHECK_FALSE(base64_decode(bad).has_value());
}
