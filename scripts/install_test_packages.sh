#!/usr/bin/env bash
# Debian packages the test suite needs:
#   chromium    the dashboard's browser test (driven by Playwright's Python package with
#               executable_path; never a browser download);
#   postgresql  the scheduler backfill test's metadata database (a throwaway server the test
#               starts itself, pipeline_health.local.postgres_server; the package's own
#               cluster is not used).
# Idempotent: installs only what is missing.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
