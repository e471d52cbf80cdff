#!/usr/bin/env bash
# socket-capture benchmark (BENCHMARKS.md): per-socket capture and rebuild cost and the time to hand off
# 1, 100 and 1,000 connections between two namespaces with different IPs, against opening them anew.
#   scripts/bench-sockets.sh [rounds] [counts, e.g. 1,100,1000]     (root; run scripts/install-deps.sh first)
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
cd "$root"
JAVA_HOME=$(scripts/find-java.sh)
export JAVA_HOME
./mvnw -q -B -ntp -DskipTests install >/dev/null
cp=$(./mvnw -q -B -ntp -pl e2e-tests dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
main=dev.baton.bench.SocketBench
if [ "${1:-}" = "--main" ]; then main=$2; shift 2; fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "e2e-tests/target/test-classes:$cp" "$main" "$@"
