#!/usr/bin/env bash
# Builds, once, a Debian 13 ("trixie") root file system holding Orthanc 1.12
# with its DICOMweb and Python plugins, so that integration tests can run
# against Orthanc 1.12 beside the host's Debian 12 Orthanc 1.10
# (test/helpers/orthanc.ts starts it with `chroot DIR Orthanc …`).
#
#   tools/orthanc-trixie.sh [DIR]     default DIR: .radz/orthanc-1.12 (gitignored)
#
# Reuses DIR when a previous run completed it (the marker file .radz-complete);
# a half-built tree is thrown away and built again. Needs root (debootstrap,
# chroot) and the Debian mirror named in the host's apt sources. Prints DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${RADZ_ORTHANC_1_12_ROOT:-.radz/orthanc-1.12}}
pkgs=(orthanc orthanc-dicomweb orthanc-python)

if [ -f "$dir/.radz-complete" ] && [ -x "$dir/usr/sbin/Orthanc" ]; then
  echo "$dir"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "orthanc-trixie: building $dir needs root (debootstrap, chroot)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  echo "orthanc-trixie: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# The mirror the host already uses (deb822 "URIs:" or one-line "deb URL suite").
mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
  grep -v '^\s*#' | grep -oE '(URIs:\s*|^deb\s+(\[[^]]*\]\s+)?)https?://[^ ]+' |
  grep -oE 'https?://[^ ]+' | grep -v security | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

partial="$dir.partial"
rm -rf "$partial"
mkdir -p "$(dirname "$dir")"
echo "orthanc-trixie: debootstrap trixie from $mirror into $partial (a few minutes)" >&2
debootstrap --variant=minbase trixie "$partial" "$mirror" >&2
# No services start inside the tree.
printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d"
chmod +x "$partial/usr/sbin/policy-rc.d"
chroot "$partial" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
chroot "$partial" apt-get clean
chroot "$partial" dpkg-query -W -f='${Package} ${Version}\n' "${pkgs[@]}" >&2
touch "$partial/.radz-complete"
rm -rf "$dir"
mv "$partial" "$dir"
echo "$dir"
