#!/usr/bin/env bash
# Builds Prometheus's web UI into a copy of its Go module, as upstream's
# `make assets-compress` does for the release images (BUILD_UI=mantine:
# the current UI; the old React app, behind a feature flag, is left out),
# so that `go build -tags builtinassets` embeds it. scripts/images.sh runs
# this for the prometheus stand-in, once per version.
#
#   build-ui.sh MODULE_COPY NODE_DIR
#
# NODE_DIR holds a Node release (bin/node, bin/npm); pnpm comes from the
# npm registry at the version pinned here.
set -euo pipefail
src=$1 node=$2
# pnpm 11: the UI's pnpm-workspace.yaml uses its supply-chain settings
# (allowBuilds, minimumReleaseAge). Supported as the current major.
pnpm_version=11.29.0

export PATH="$node/bin:$PATH"
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tools" "pnpm@$pnpm_version" >/dev/null
export PATH="$tools/node_modules/.bin:$PATH"

cd "$src/web/ui"
# v0.316.0's lockfile pins @mantine/code-highlight 9.7.2, which the npm
# registry this machine reaches does not have (9.6.x and 9.8.1 it has). 9.6.2
# is the same major, older than the @mantine/core 9.7.2 beside it (a
# component built against an older core, never a newer one). Only that
# package changes; the lockfile stays frozen for every other one.
if grep -q "'@mantine/code-highlight@9.7.2'" pnpm-lock.yaml; then
  sed -i 's|"@mantine/code-highlight": "^9.7.2"|"@mantine/code-highlight": "9.6.2"|' mantine-ui/package.json
  perl -0pi -e '
    s#(\x27\@mantine/code-highlight\x27:\n\s+specifier: )\^9\.7\.2(\n\s+version: )9\.7\.2#${1}9.6.2${2}9.6.2#;
    s#\x27\@mantine/code-highlight\@9\.7\.2\x27:\n    resolution: \{integrity: [^}]+\}\n    peerDependencies:\n      \x27\@mantine/core\x27: 9\.7\.2\n      \x27\@mantine/hooks\x27: 9\.7\.2#\x27\@mantine/code-highlight\@9.6.2\x27:\n    resolution: {integrity: sha512-lEtpNTvLeKB0UKn/f6iH8NKwUtn++Otfg0KCTsIf9ThpSAwkexBTxuo5mDr4UwljalHRIAmFi9otdQ82l6ecYA==}\n    peerDependencies:\n      \x27\@mantine/core\x27: 9.6.2\n      \x27\@mantine/hooks\x27: 9.6.2#;
    s#\x27\@mantine/code-highlight\@9\.7\.2\(#\x27\@mantine/code-highlight\@9.6.2(#g;
  ' pnpm-lock.yaml
  # (A lockfile the fix did not fit fails here, or at the frozen install.)
  if grep -q "code-highlight@9.7.2" pnpm-lock.yaml; then
    echo "build-ui.sh: Prometheus's UI lockfile is not the one this fix expects; revisit it" >&2
    exit 1
  fi
fi
CI=true pnpm install --frozen-lockfile --reporter=silent
CI="" pnpm run build:mantine-ui
cd "$src"
bash scripts/compress_assets.sh
