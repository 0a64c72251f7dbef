// The values of the access admin requests (actors/controller/controller_interface.hpp): the
// users `cafka users list` shows and a credential to delete. Plain values sent between
// actors (inspect); any thread.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/security/scram_credential.hpp"

namespace cafka {

// One user's credential as listed: never its salt or keys.
struct scram_user {
  std::string user;
  scram_mechanism mechanism = scram_mechanism::sha_512;
  int32_t iterations = 0;

  bool operator==(const scram_user& o) const {
    return user == o.user && mechanism == o.mechanism && iterations == o.iterations;
  }
};

// The credential of `user` for `mechanism`.
struct credential_name {
  std::string user;
  scram_mechanism mechanism = scram_mechanism::sha_512;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scram_user& x) {
  return f(x.user, x.mechanism, x.iterations);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, credential_name& x) {
  return f(x.user, x.mechanism);
}

} // namespace cafka
