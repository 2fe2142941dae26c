#!/usr/bin/env bash
# Install the Debian packages the container test tier (test/container/) needs.
# Idempotent and fast when everything is already there: only missing packages
# are installed, and `apt-get update` runs at most once (and only if needed).
set -euo pipefail

PKGS=(
  runc          # the OCI runtime the container tests drive
  debootstrap   # builds the cached Debian bookworm rootfs (test/helpers/rootfs.ts)
  tini          # reference inits, for comparison tests
  dumb-init
  catatonit
  redis-tools   # redis-cli on the host, for ad-hoc checks
  podman        # the real probe client: healthcheck run, kube play (test/container/podman-probe.test.ts)
  procps        # ps/pgrep
  util-linux    # mount, unshare, flock, nsenter
  iproute2
  ca-certificates
  # linux-arm64: cross compiler for the addon, an arm64 sysroot for the
  # official arm64 Node (libstdc++), and qemu-user to run it (code cache, test/arm64/)
  gcc-aarch64-linux-gnu
  musl-tools    # musl-gcc: the static native front end, dist/tini-ts (scripts/build-frontend.mjs)
  libc6-dev-arm64-cross  # (only recommended by the compiler: headers, crt files)
  libstdc++6-arm64-cross
  qemu-user-static
  strace        # counts the init's start-up processes (test/cli/inherit-exact.test.ts)
  hyperfine     # start-up timing (bench)
  # test/peers/: tini's and dumb-init's own test suites, run against tini-ts
  python3-psutil python3-pexpect python3-pytest python3-pytest-timeout python3-prctl python3-lib2to3
  gcc
  # the portable bundles (scripts/build-portable.mjs): ELF interpreter and rpath
  # of the bundled executable; the scratch rootfs of the container tier gets a
  # static busybox as its only other program
  patchelf
  binutils      # readelf: each library's DT_NEEDED
  busybox-static
)

missing=()
for p in "${PKGS[@]}"; do
  # dpkg -s succeeds for removed-but-configured packages too, so check Status.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# test/peers/ runs tini's and dumb-init's own test suites against tini-ts. Their
# sources come from Debian's source packages (`apt-get source`, checked against
# the signed Sources index), so the Debian mirror needs a deb-src entry.
DEBSRC=/etc/apt/sources.list.d/tini-ts-deb-src.sources
if [ ! -e "$DEBSRC" ] && [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] \
   && grep -qs '^ID=debian' /etc/os-release; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$codename" | $SUDO tee "$DEBSRC" >/dev/null
  $SUDO apt-get update -qq || echo "ci-install-system: apt-get update reported errors" >&2
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "ci-install-system: all packages already installed"
  exit 0
fi

echo "ci-install-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Third-party sources configured on the machine may be unreachable; apt only
# warns about those, and the Debian mirror is all we need.
$SUDO apt-get update -qq || echo "ci-install-system: apt-get update reported errors, trying to install anyway" >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "ci-install-system: done"
