#!/usr/bin/env bash
# Runs every Baton test on this machine, from nothing: installs the system dependencies (needs root), builds,
# and runs unit, privileged (namespaces, TCP_REPAIR, nftables, CRIU) and end-to-end tests.
#   scripts/test.sh [extra Maven arguments, e.g. -pl socket-capture]
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
cd "$root"

scripts/install-deps.sh
JAVA_HOME=$(scripts/find-java.sh)
export JAVA_HOME
# Tests create network namespaces named baton<pid>-*; a namespace left by a killed run is swept by the next.
./mvnw -B -ntp verify "$@"
