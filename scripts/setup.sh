#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian 12 machine: the Debian packages of the real peers
# (pywinrm, gss-ntlmssp, squid, ...) and the npm dependencies. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-winrm python3-requests-ntlm python3-ntlm-auth  # pywinrm: the independent WinRM client the emulator must satisfy
  python3-gssapi gss-ntlmssp                              # independent NTLM acceptor/initiator for cross-checks
  openssl ca-certificates
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-fund --no-audit --loglevel=error
fi
