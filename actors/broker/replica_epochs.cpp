// The partition replica's leader-epoch history at open: the checkpoint file, checked against
// the log's batches where an unsynced save may have been lost. See "Leader-epoch checkpoint"
// in docs/partition-checkpoints-format.md. Replica actor context only.
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "actors/broker/replica_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"

namespace cafka {

namespace {

// The history the file holds; nullopt if there is none (`found` false) or it does not
// parse. Errors: the file cannot be read (rebuilding it from the log could drop epochs whose
// batches retention deleted).
caf::expected<std::optional<leader_epoch_cache>> load_epochs(replica_state& st, bool& found) {
  found = false;
  auto bytes = st.cfg.io.disk->read_file(st.checkpoint_path());
  if (!bytes)
    return std::move(bytes.error());
  if (!*bytes)
    return std::nullopt;
  found = true;
  auto parsed = leader_epoch_cache::parse(**bytes);
  if (parsed)
    return std::optional<leader_epoch_cache>{std::move(*parsed)};
  spdlog::warn("partition {}: ignoring {}: {}", to_string(st.cfg.tp), st.checkpoint_path(),
               describe(parsed.error()));
  return std::optional<leader_epoch_cache>{};
}

} // namespace

caf::expected<leader_epoch_cache> recover_epochs(replica_state& st, bool& file_found,
                                                 bool& changed) {
  auto loaded = load_epochs(st, file_found);
  if (!loaded)
    return std::move(loaded.error());
  auto& saved = *loaded;
  // A damaged file is replaced even if the log has no epoch to put in it.
  changed = file_found && !saved;
  auto epochs = saved ? std::move(*saved) : leader_epoch_cache{};
  auto held = epochs.entries().size();
  epochs.truncate_from_end(st.log->log_end_offset());
  changed = changed || epochs.entries().size() != held;
  auto from = saved ? st.log->unsynced_from() : st.log->log_start_offset();
  auto err = st.log->for_each_header(from, [&](const batch_header& h) -> caf::error {
    leader_epoch e{h.partition_leader_epoch};
    auto latest = epochs.latest();
    // A batch's epoch comes from the disk: one out of order with the history is skipped.
    if (e >= leader_epoch{0}
        && (!latest || (e > latest->epoch && h.base() >= latest->start_offset))) {
      epochs.assign(e, h.base());
      changed = true;
    }
    return caf::none;
  });
  if (err)
    return err;
  return epochs;
}

} // namespace cafka
