#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the dashboard's browser test (driven
# by Playwright's Python package with executable_path; never a browser download).
# Idempotent: does nothing when the browser is already there.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is missing: install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
