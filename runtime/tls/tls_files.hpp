// Durable writes of secrets and certificates for `cafka tls init`: a private directory and
// files that have their final mode from creation on (a key is never readable by others,
// not even briefly). Plain functions; any thread. Errors are errc::storage_error.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include <caf/error.hpp>

namespace cafka::tls {

inline constexpr mode_t private_dir_mode = 0700;
inline constexpr mode_t key_file_mode = 0600;
inline constexpr mode_t cert_file_mode = 0644;

// Creates `dir` with mode 0700 if it is missing (missing parents get the default mode) and
// makes the creation durable (parents fsynced). An existing directory is left as it is; an
// existing non-directory is an error.
caf::error make_private_dir(const std::string& dir);

// Replaces `path` atomically with `contents`, the file having exactly `mode` (whatever the
// umask): `path`.tmp is created with O_CREAT|O_EXCL and `mode` (a stale one is removed
// first), written, fsynced and renamed over `path`; then the directory is fsynced. After an
// error `path` is unchanged and the .tmp is gone (if removing it works).
caf::error write_file_atomically(const std::string& path, std::string_view contents,
                                 mode_t mode);

} // namespace cafka::tls
