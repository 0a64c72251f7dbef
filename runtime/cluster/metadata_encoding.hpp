// The durable field lists of the metadata types that Raft commands and metadata snapshots
// carry (docs/metadata-format.md): one list per type, walked by durable::writer and
// durable::reader. They are not the inspect() lists CAF uses on the wire: editing a wire
// struct leaves these bytes alone. A change here changes both formats: bump both versions.
// Plain functions; any thread.
#pragma once

#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/ids.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/messages.hpp"
#include "runtime/security/access_metadata.hpp"

namespace cafka {

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, topic_partition> x) {
  io(x.topic, x.partition);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, listener_endpoint> x) {
  io(x.name, x.host, x.port);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, broker_metadata> x) {
  io(x.id, x.host, x.port, x.alive, x.incarnation, x.listeners);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, partition_metadata> x) {
  io(x.id, x.leader, x.epoch, x.partition_epoch, x.replicas, x.isr);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, topic_metadata> x) {
  io(x.name, x.partitions);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, cluster_metadata> x) {
  io(x.version, x.cluster_id, x.controller, x.next_producer_id, x.brokers, x.topics);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, create_topic_request> x) {
  io(x.name, x.partitions, x.replication_factor);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, topic_config_entry> x) {
  io(x.name, x.value);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, config_op> x) {
  io(x.name, x.op, x.value);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, alter_topic_configs_request> x) {
  io(x.topic, x.ops, x.replace, x.validate_only);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, create_partitions_request> x) {
  io(x.topic, x.count, x.validate_only);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, partition_reassignment> x) {
  io(x.tp, x.replicas, x.cancel);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, alter_reassignments_request> x) {
  io(x.partitions, x.throttle);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, decommission_request> x) {
  io(x.id, x.cancel, x.throttle);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, alter_isr_request> x) {
  io(x.tp, x.leader, x.epoch, x.partition_epoch, x.isr);
}

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, scram_credential> x) {
  io(x.user, x.mechanism, x.salt, x.iterations, x.stored_key, x.server_key);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, acl_binding> x) {
  io(x.resource_type, x.resource_name, x.pattern_type, x.principal, x.host, x.operation,
     x.permission);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, acl_filter> x) {
  io(x.resource_type, x.resource_name, x.pattern_type, x.principal, x.host, x.operation,
     x.permission);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, access_metadata> x) {
  io(x.version, x.credentials, x.acls);
}

} // namespace cafka
