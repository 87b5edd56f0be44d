#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian 12 machine: the Debian packages of the real peers
# (pywinrm, gss-ntlmssp, squid, ...) and the npm dependencies. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-winrm python3-requests-ntlm python3-ntlm-auth  # pywinrm: the independent WinRM client the emulator must satisfy
  python3-gssapi gss-ntlmssp                              # independent NTLM acceptor/initiator for cross-checks
  python3-cryptography                                    # pywinrm's CredSSP (test/peers/credssp_shim: no python3-requests-credssp in Debian)
  libkrb5-dev                                             # MIT GSSAPI headers/libs: npm ci builds the Kerberos addon (binding.gyp)
  krb5-kdc krb5-admin-server krb5-user                    # throwaway KDC for Kerberos tests: krb5kdc, kdb5_util, kadmin.local, kinit
  squid tinyproxy                                         # real proxies for the issue 3 proofs (test/peers/squid.ts,
                                                          # tinyproxy.ts start their own instances on free loopback
                                                          # ports; a packaged service that auto-starts does not matter)
  microsocks dante-server openssh-server openssh-client  # real SOCKS5 servers and ssh -D for the SOCKS proofs (test/peers/microsocks.ts, dante.ts, sshd.ts;
                                                          # started by the tests on free loopback ports)
  openssl ca-certificates
  mono-mcs                                                # `mcs --parse`: syntax check of the generated .NET SDK (no NuGet here)
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

# node_modules/pulumi-winrm-proxy -> .. (npm ci's "prepare" makes it; this covers a node_modules that was already
# current): the example program and the dynamic providers resolve the package by name from the repository root.
node scripts/link-self.mjs

# npm ci builds the Kerberos addon (binding.gyp); when node_modules was already current, build it here.
[ -f build/Release/winrm_gssapi.node ] || npm run --silent install >/dev/null

# The pinned Pulumi engine (CLI v3.248.0 + Node.js language host), built once from Go modules into a cache: docs/pulumi-engine.md.
bash scripts/pulumi-engine.sh >/dev/null
