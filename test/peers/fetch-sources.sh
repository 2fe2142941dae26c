#!/usr/bin/env bash
# Unpacks tini's and dumb-init's sources (with their own test suites) from
# Debian's source packages into $1 (default ${TINI_TS_CACHE:-~/.cache/tini-ts}/peers),
# and prints the two source directories. The code is not part of this
# repository: apt-get fetches it and checks it against the signed Sources
# index (scripts/ci-install-system.sh adds the deb-src entry).
# Only the upstream tarballs are used: Debian's patches touch packaging only.
set -euo pipefail
dest=${1:-${TINI_TS_CACHE:-$HOME/.cache/tini-ts}/peers}
mkdir -p "$dest"
cd "$dest"
exec 9>"$dest/.lock"
flock 9
for pkg in tini dumb-init; do
  if ! ls "$pkg"_*.orig.tar.gz >/dev/null 2>&1; then
    # --download-only: no dpkg-source run; a missing Debian diff is no loss.
    apt-get source --download-only "$pkg" >&2 || true
  fi
  tarball=$(ls "$pkg"_*.orig.tar.gz 2>/dev/null | head -n1 || true)
  if [ -z "$tarball" ]; then
    echo "fetch-sources: no source for $pkg (is there a deb-src entry? run scripts/ci-install-system.sh)" >&2
    exit 1
  fi
  dir=$(tar -tzf "$tarball" | sed -n "1s,/.*,,p")
  [ -d "$dir" ] || tar -xzf "$tarball"
  echo "$dest/$dir"
done
