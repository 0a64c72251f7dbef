// The partition replica's durable side files, written from its state: the leader-epoch
// checkpoint, the producer snapshot and the high-watermark checkpoint. Replica actor only.
#include "actors/broker/replica_state.hpp"

#include <spdlog/spdlog.h>

#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/replication/hw_checkpoint.hpp"

namespace cafka {

caf::error replica_state::save_epochs(bool durable) {
  auto bytes = fsm->epochs().serialize();
  auto& disk = *cfg.io.disk;
  auto path = checkpoint_path();
  // A failed save may have left new bytes in place unsynced: only a durable one clears it.
  epochs_unsynced = true;
  if (auto err = durable ? disk.replace_file(path, bytes)
                         : disk.replace_file_unsynced(path, bytes)) {
    spdlog::error("partition {}: cannot write {}: {}", to_string(cfg.tp), path, describe(err));
    return err;
  }
  epochs_unsynced = !durable;
  return caf::none;
}

void replica_state::save_producers() {
  if (auto err = save_producer_snapshot(*cfg.io.disk, cfg.dir, fsm->producers()))
    spdlog::error("partition {}: cannot write the producer snapshot: {}", to_string(cfg.tp),
                  describe(err));
  else
    snapshot_log_end = log->log_end_offset();
  last_producer_snapshot_ms = now_ms();
}

void replica_state::save_high_watermark() {
  last_hw_checkpoint_ms = now_ms();
  auto hw = fsm->high_watermark();
  if (saved_hw == hw)
    return;
  if (auto err = save_hw_checkpoint(*cfg.io.disk, cfg.dir, hw)) {
    spdlog::error("partition {}: cannot write {}/{}: {}", to_string(cfg.tp), cfg.dir,
                  hw_checkpoint_file, describe(err));
    return;
  }
  saved_hw = hw;
}

} // namespace cafka
