#!/usr/bin/env bash
# Gateway data-path benchmark (BENCHMARKS.md): Baton's gateway against a direct connection and against HAProxy in
# mode tcp, same machine, same run: bulk throughput (1 and 8 streams), 64-byte request/response latency (median,
# p99), new connections per second, proxy memory per idle connection at ~10,000 connections.
#   scripts/bench-gateway.sh [--with-gateway] [--rounds R] [--idle N] [--only direct,haproxy,gateway] [seconds]
# (root; installs haproxy with apt-get when it is missing). The gateway runs with --with-gateway, or by itself once
# the CLI has `baton gateway`; extra JVM options for it in BENCH_GATEWAY_JAVA_OPTS.
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "bench-gateway: run as root (network namespaces need it)" >&2; exit 1; }
if ! command -v haproxy >/dev/null; then
  echo "bench-gateway: installing haproxy ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null
fi
JAVA_HOME=$(scripts/find-java.sh)
export JAVA_HOME
# Reactor build without install; package also builds gateway/target/baton.jar, which the gateway runs from.
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
./mvnw -q -B -ntp -pl e2e-tests -am package -DskipTests dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dbench.batonJar="$root/gateway/target/baton.jar" -Dbench.command="scripts/bench-gateway.sh $*" \
  -cp "e2e-tests/target/test-classes:$(cat "$cpfile")" dev.baton.bench.GatewayBench "$@"
