#!/usr/bin/env bash
# Fetches, once, the built OHIF Viewer that the OHIF integration test serves
# (test/ui/ohif.int.test.ts): npm's @ohif/app ships its production build in
# dist/ (~210 MB unpacked). It is never a dependency of RadZ and never in the
# repository: `npm pack` downloads the tarball through npm's own client and
# registry configuration, its sha512 is checked against the pinned one below,
# and it is unpacked into a gitignored cache.
#
#   tools/ohif-fetch.sh [DIR]     default DIR: $RADZ_OHIF_CACHE or .radz/ohif-<version>
#
# Reuses DIR when a previous run completed it (the marker file .radz-complete);
# a half-unpacked copy is thrown away. Prints the dist/ directory (DIR/dist).
# .ci/run calls it before the tests; the test calls it when the cache is empty.
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.13.2
integrity=sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA==
dir=${1:-${RADZ_OHIF_CACHE:-.radz/ohif-$version}}

if [ -f "$dir/.radz-complete" ] && [ -f "$dir/dist/index.html" ]; then
  echo "$dir/dist"
  exit 0
fi

partial="$dir.partial"
rm -rf "$partial"
mkdir -p "$partial"
echo "ohif-fetch: npm pack @ohif/app@$version into $partial (~50 MB download)" >&2
if ! npm pack "@ohif/app@$version" --pack-destination "$partial" --loglevel=error >"$partial/pack.out" 2>&1; then
  cat "$partial/pack.out" >&2
  echo "ohif-fetch: could not download @ohif/app@$version from the npm registry" >&2
  exit 1
fi
tgz="$partial/ohif-app-$version.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
  echo "ohif-fetch: $tgz has $actual, expected $integrity" >&2
  exit 1
fi
# The tarball's files lie under package/; keep only the built app and its licence.
tar -xzf "$tgz" -C "$partial" package/dist package/LICENSE
mv "$partial/package/dist" "$partial/dist"
mv "$partial/package/LICENSE" "$partial/LICENSE"
rm -rf "$partial/package" "$tgz" "$partial/pack.out"
touch "$partial/.radz-complete"
rm -rf "$dir"
mv "$partial" "$dir"
echo "$dir/dist"
