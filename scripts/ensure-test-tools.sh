#!/usr/bin/env bash
# `npm test` runs this first (pretest): the end-to-end suites drive the real AWS CLI v2, headless Chromium and
# (for Amazon DynamoDB Local) a Java runtime, all from Debian. As root with apt, missing ones are installed; anywhere
# else the suites that need them skip, each with its reason, and this says which.
set -euo pipefail
# Functions run on the Node major their runtime names: Node 20, 22 and 24, the official builds the npm registry carries,
# go to the per-user runtimes cache (a second run finds them there and downloads nothing).
node cli/bin/pipeline.js runtimes install nodejs20.x nodejs22.x nodejs24.x ||
  echo "pretest: Node 20/22/24 could not be installed; functions of those runtimes run emulated on $(node --version)" >&2
missing=()
[ -x /usr/bin/aws ] && /usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2' || missing+=(awscli)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing ${missing[*]} (Debian packages the end-to-end suites use)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "pretest: ${missing[*]} not installed and cannot be installed here (needs root and apt): the suites that use them will be skipped" >&2
fi
