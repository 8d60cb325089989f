#!/usr/bin/env bash
# `npm test` runs this first (pretest): the end-to-end suites drive the real AWS CLI v2, s3cmd, headless Chromium and
# (for Amazon DynamoDB Local) a Java runtime, all from Debian. As root with apt, missing ones are installed; anywhere
# else the suites that need them skip, each with its reason, and this says which.
set -euo pipefail
missing=()
[ -x /usr/bin/aws ] && /usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2' || missing+=(awscli)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
[ -x /usr/bin/s3cmd ] || missing+=(s3cmd)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing ${missing[*]} (Debian packages the end-to-end suites use)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "pretest: ${missing[*]} not installed and cannot be installed here (needs root and apt): the suites that use them will be skipped" >&2
fi
