#include "runtime/security/scram_credential.hpp"

namespace cafka {

const char* to_string(scram_mechanism x) {
  switch (x) {
    case scram_mechanism::sha_256: return "SCRAM-SHA-256";
    case scram_mechanism::sha_512: return "SCRAM-SHA-512";
  }
  return "SCRAM-?";
}

std::optional<scram_mechanism> parse_scram_mechanism(std::string_view name) {
  if (name == "SCRAM-SHA-256")
    return scram_mechanism::sha_256;
  if (name == "SCRAM-SHA-512")
    return scram_mechanism::sha_512;
  return std::nullopt;
}

} // namespace cafka
