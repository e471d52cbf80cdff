#!/usr/bin/env bash
# Installs Baton's system dependencies on Debian/Ubuntu. Idempotent: a second run only checks.
#   CRIU >= 4.2 (built from Debian's source package when the distribution's is older: 3.17 fails on
#   kernels >= 6.x, 4.1 cannot dump TCP sockets on kernels >= 6.16), nftables, iproute2, libpcap, tcpdump.
# Usage: scripts/install-deps.sh            (needs root)
set -euo pipefail

CRIU_VERSION=4.2.1
CRIU_DEB_VERSION=4.2.1-1
CRIU_BIN=/usr/local/sbin/criu
# CRIU keeps what it probes of the kernel (its "kdat", 25-50 ms per run) only in a tmpfs directory; /run is not
# one on every machine, so Baton's CRIU is built to keep it in a small tmpfs of its own, mounted below.
CRIU_KDAT_DIR=/run/baton-criu

log() { printf '[install-deps] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get and the CRIU install need it)"
command -v apt-get >/dev/null || die "apt-get not found: only Debian and Ubuntu are supported"

RUNTIME_PKGS=(nftables iproute2 libpcap0.8 tcpdump util-linux procps socat netcat-openbsd python3 curl ca-certificates
  libprotobuf-c1 libnl-3-200 libnet1 libbsd0 libcap2 libgnutls30 libnftables1 libuuid1 libaio1)
CRIU_BUILD_PKGS=(build-essential libbsd-dev libcap-dev libgnutls28-dev libnet1-dev libnftables-dev
  libnl-3-dev libprotobuf-c-dev libprotobuf-dev pkgconf protobuf-c-compiler protobuf-compiler uuid-dev
  python3-protobuf libaio-dev iptables xz-utils dpkg-dev)

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then log "apt-get update"; apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

criu_ok() {
  local v
  v=$("$1" --version 2>/dev/null | sed -n 's/^Version: *//p') || return 1
  [ -n "$v" ] || return 1
  # >= 4.2
  [ "$(printf '%s\n4.2\n' "$v" | sort -V | head -n1)" = "4.2" ]
}

apt_install "${RUNTIME_PKGS[@]}"

if criu_ok "$CRIU_BIN" && grep -aq "$CRIU_KDAT_DIR/criu.kdat" "$CRIU_BIN"; then
  log "CRIU $("$CRIU_BIN" --version | sed -n 's/^Version: *//p') present"
else
  log "building CRIU $CRIU_VERSION from Debian's source package (about a minute)"
  apt_install "${CRIU_BUILD_PKGS[@]}"
  src_list=/etc/apt/sources.list.d/baton-sid-src.sources
  if [ ! -f "$src_list" ]; then
    uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    cat > "$src_list" <<SRC
Types: deb-src
URIs: $uri
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  # Only the source index of sid is used; binary packages keep coming from the system's suites.
  apt-get update -qq
  work=$(mktemp -d /tmp/baton-criu.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  # Only the upstream tarball is needed (the Debian diff is sometimes missing on mirrors): take its
  # address and checksum from the source index, fetch it, verify it.
  # The tested version first; if sid has moved on, its current one (checked to be >= 4.2 once built).
  line=$(apt-get source --print-uris -qq "criu=$CRIU_DEB_VERSION" 2>/dev/null | grep "orig.tar" | head -n1 || true)
  if [ -z "$line" ]; then
    log "criu $CRIU_DEB_VERSION is no longer in sid's source index; taking sid's current criu"
    line=$(apt-get source --print-uris -qq criu 2>/dev/null | grep "orig.tar" | head -n1 || true)
  fi
  [ -n "$line" ] || die "no criu source package in sid's source index (is the mirror reachable?)"
  url=$(echo "$line" | awk '{print $1}' | tr -d "'")
  sum=$(echo "$line" | awk '{print $4}' | sed 's/^SHA256://')
  tarball="$work/$(echo "$line" | awk '{print $2}')"
  curl -fsSL --retry 3 -o "$tarball" "$url" || die "could not download $url"
  echo "$sum  $tarball" | sha256sum -c --quiet - || die "checksum mismatch for $tarball"
  CRIU_PREFIX=/opt/baton/$(basename "$tarball" | sed 's/_\([^_]*\)\.orig\.tar.*/-\1/')
  tar -C "$work" -xf "$tarball"
  srcdir=$(find "$work" -maxdepth 1 -type d -name "criu-*" | head -n1)
  make -C "$srcdir" -j"$(nproc)" RUNDIR="$CRIU_KDAT_DIR" criu >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "CRIU build failed"; }
  "$srcdir/criu/criu" --version >/dev/null || die "the CRIU just built does not run"
  install -d "$CRIU_PREFIX"
  install -m 0755 "$srcdir/criu/criu" "$CRIU_PREFIX/criu"
  ln -sf "$CRIU_PREFIX/criu" "$CRIU_BIN"
  rm -f "$src_list"; apt-get update -qq || true
  criu_ok "$CRIU_BIN" || die "installed CRIU does not report version >= 4.2"
  log "CRIU $("$CRIU_BIN" --version | sed -n 's/^Version: *//p') installed at $CRIU_BIN"
fi

# CRIU's kernel probe cache (see CRIU_KDAT_DIR): without it every dump and restore probes again, slower.
mkdir -p "$CRIU_KDAT_DIR"
if ! mountpoint -q "$CRIU_KDAT_DIR"; then
  mount -t tmpfs -o size=1m,mode=0700 baton-criu "$CRIU_KDAT_DIR" \
    || log "warning: could not mount a tmpfs on $CRIU_KDAT_DIR; CRIU will probe the kernel on every run"
fi

# The kernel must let us make network namespaces and nftables tables.
modprobe -q nf_tables 2>/dev/null || true
log "done"
