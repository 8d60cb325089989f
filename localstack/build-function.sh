#!/usr/bin/env bash
# The compose `function-build` service: builds dist/function.zip from the read-only checkout (/workspace) inside
# the `function-build` volume (/build), the only place it writes besides the npm cache volume. The checkout is
# never written (no root-owned files on a Linux host, no EROFS from npm's chmod of workspace bins), and nothing
# has to exist in it beforehand (a fresh clone has no dist/ nor node_modules/).
# Only the function is built (esbuild, no whole-project typecheck). Dependencies are installed only when the lock
# file, Node or npm changed, so a second `docker compose up` takes seconds.
set -euo pipefail
checkout="${PIPELINE_CHECKOUT:-/workspace}"
build="${PIPELINE_BUILD_DIR:-/build}"
mkdir -p "$build/cli"
cd "$build"
rm -rf src scripts cli/bin
cp -R "$checkout/src" "$checkout/scripts" .
cp "$checkout/package.json" "$checkout/package-lock.json" "$checkout/tsconfig.json" .
cp -R "$checkout/cli/package.json" "$checkout/cli/bin" cli/
installed="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version) npm $(npm --version)"
if [ "$(cat node_modules/.pipeline-installed 2>/dev/null || true)" != "$installed" ]; then
  # Runtime dependencies only (esbuild, tsx, the SDK); no install scripts (DynamoDB Local's jar download).
  npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline
  echo "$installed" > node_modules/.pipeline-installed
else
  echo "function-build: dependencies unchanged ($installed)"
fi
node_modules/.bin/tsx scripts/build-function.ts
