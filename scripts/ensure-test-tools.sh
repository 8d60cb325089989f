#!/usr/bin/env bash
# `npm test` runs this first (pretest): the end-to-end suites drive the real AWS CLI v2, s3cmd, headless Chromium and
# (for Amazon DynamoDB Local) a Java runtime, and the validators suite shellcheck, all from Debian. As root with apt, missing ones are installed; anywhere
# else the suites that need them skip, each with its reason, and this says which.
set -euo pipefail
# Functions run on the Node major their runtime names: Node 20, 22 and 24, the official builds the npm registry carries,
# go to the per-user runtimes cache (a second run finds them there and downloads nothing).
node cli/bin/pipeline.js runtimes install nodejs20.x nodejs22.x nodejs24.x ||
  echo "pretest: Node 20/22/24 could not be installed; functions of those runtimes run emulated on $(node --version)" >&2
missing=()
# AWS CLI v2 anywhere the suites look: Debian's /usr/bin/aws, or on PATH (GitHub's runners: /usr/local/bin/aws).
has_aws_v2() {
  local candidate
  for candidate in /usr/bin/aws /usr/local/bin/aws $(type -aP aws 2>/dev/null); do
    [ -x "$candidate" ] && "$candidate" --version 2>/dev/null | grep -q '^aws-cli/2' && return 0
  done
  return 1
}
# Chromium or Chrome: CHROME_PATH (the workflow sets it), Debian's chromium, or the runners' google-chrome.
has_chrome() {
  local candidate
  for candidate in "${CHROME_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && return 0
  done
  return 1
}
has_aws_v2 || missing+=(awscli)
has_chrome || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
[ -x /usr/bin/s3cmd ] || missing+=(s3cmd)
# The validators suite runs shellcheck on every shell script in the repository.
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing ${missing[*]} (Debian packages the end-to-end suites use)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "pretest: ${missing[*]} not installed and cannot be installed here (needs root and apt): the suites that use them will be skipped" >&2
fi
