#!/usr/bin/env bash
# Prints the home of a JDK >= 25 for Baton: $BATON_JAVA_HOME, else $JAVA_HOME if it is >= 25, else
# /usr/lib/jvm/temurin-25-jdk-amd64, else any /usr/lib/jvm/*25*. Exits 1 with a message when there is none.
set -euo pipefail

# The major version of the JDK at $1, from its release file (no JVM started); empty if unknown.
java_major() {
  [ -x "$1/bin/java" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n1
}

if [ -n "${BATON_JAVA_HOME:-}" ]; then
  [ -x "$BATON_JAVA_HOME/bin/java" ] || { echo "baton: BATON_JAVA_HOME=$BATON_JAVA_HOME has no bin/java" >&2; exit 1; }
  echo "$BATON_JAVA_HOME"; exit 0
fi
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
  [ -n "$candidate" ] || continue
  if [ "$(java_major "$candidate")" -ge 25 ] 2>/dev/null; then echo "$candidate"; exit 0; fi
done
echo "baton: no Java 25 found: install a JDK 25 (e.g. Temurin) or set BATON_JAVA_HOME" >&2
exit 1
