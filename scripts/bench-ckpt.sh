#!/usr/bin/env bash
# process-ckpt benchmark (BENCHMARKS.md): dump and restore time against workload RSS, Baton's CRIU RPC path
# against the criu command line; bundle seal/open against a plain copy; dump-and-ship sealed against plain.
#   scripts/bench-ckpt.sh [--sizes 1,100,1024] [--runs 5] [--large-runs 3] [--dir DIR] [--figures dump,bundle,ship]
# (root; run scripts/install-deps.sh first). Images, bundles and copies go to a temporary directory under --dir
# (default /tmp; about 5 GiB free needed with the 1 GiB size) that is deleted at the end, also on failure.
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "bench-ckpt: run as root (CRIU and network namespaces need it)" >&2; exit 1; }
dir=/tmp
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = "--dir" ] && dir=${args[i + 1]:-/tmp}; done
mkdir -p "$dir"
free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((6 * 1024 * 1024)) ]; then
  echo "bench-ckpt: only $((free_kib / 1024)) MiB free in $dir; the 1 GiB figures need about 5 GiB (use --dir)" >&2
fi
JAVA_HOME=$(scripts/find-java.sh)
export JAVA_HOME
# Reactor build without install: the classpath points at each module's target/classes.
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
./mvnw -q -B -ntp -pl e2e-tests -am test-compile dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
# -Xmx1g: bundles stream, so sealing and opening a 1 GiB image must fit in far less.
"$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "e2e-tests/target/test-classes:$(cat "$cpfile")" dev.baton.bench.CheckpointBench "$@"
