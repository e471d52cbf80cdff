#!/usr/bin/env bash
# Migration benchmark (BENCHMARKS.md, issue 4): the longest silence each peer sees (each direction) while the
# workload moves behind Baton's gateway (baton migrate, the workload changes IP), against plain CRIU moving the same
# workload with its IP (dump, address on the target, restore, route moved), measured in the same run; one
# connection and 1,000 connections; the migration's phases.
#   scripts/bench-migration.sh [rounds (5)] [--connections 1000] [--cases 1,many] [--lanes gateway,criu]
# (root; run scripts/install-deps.sh first). Labs, processes and temporary directories are removed at the end,
# also on failure or Ctrl-C.
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "bench-migration: run as root (CRIU and network namespaces need it)" >&2; exit 1; }
JAVA_HOME=$(scripts/find-java.sh)
export JAVA_HOME
# Reactor build without install: the classpath points at each module's target/classes.
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
./mvnw -q -B -ntp -pl e2e-tests -am test-compile dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "e2e-tests/target/test-classes:$(cat "$cpfile")" dev.baton.bench.MigrationGapBench "$@"
