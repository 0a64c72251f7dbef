#!/bin/sh
# Builds print_fixtures.cpp against the sources of commit e5e7511 (the last one before the
# durable encoding) in a temporary worktree and prints its fixtures: "<name> <hex>" lines.
#
#   sh tests/tools/durable_fixtures/print_fixtures.sh [COMMIT]
set -eu
rev=${1:-e5e7511}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$tmp/src" 2>/dev/null; rm -rf "$tmp"' EXIT
git -C "$repo" worktree add --quiet --detach "$tmp/src" "$rev"
cmake -S "$tmp/src" -B "$tmp/build" -G Ninja >/dev/null
cmake --build "$tmp/build" --target cafka_runtime >/dev/null
g++ -std=c++17 -I"$tmp/src" "$here/print_fixtures.cpp" "$tmp/build/libcafka_runtime.a" \
  -lcaf_core -lboost_serialization -lspdlog -lfmt -lz -lsnappy -llz4 -lzstd -lpthread \
  -o "$tmp/print_fixtures"
"$tmp/print_fixtures"
