#!/usr/bin/env bash
# Single-connection handoff benchmark (BENCHMARKS.md): each move's freeze and the peer's longest silence, against
# the same stream without moves, in the same run.   scripts/bench-handoff.sh [moves] [bytes/s]   (root)
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
exec "$root/scripts/bench-sockets.sh" --main dev.baton.bench.HandoffBench "$@"
