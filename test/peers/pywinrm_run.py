#!/usr/bin/python3
"""Run one command with pywinrm (Debian python3-winrm 0.3.0) and print the result as JSON.

usage: pywinrm_run.py ENDPOINT TRANSPORT USER PASSWORD COMMAND [CA_PATH]

TRANSPORT is a pywinrm transport ("ntlm", "basic", ...). With a sealing transport (ntlm, kerberos, credssp) over
http:// message encryption is forced ('always', so a server that would accept plaintext cannot hide it); otherwise it
is left to pywinrm's 'auto' (none over TLS, none with basic).
CA_PATH, when given, is the CA file that validates the server certificate. NTLM needs MD4: run with OPENSSL_CONF
pointing at an OpenSSL config that activates the legacy provider.
Prints {"std_out", "std_err", "status_code"} on success, {"error", "type"} and exit 1 on failure.
"""
import json
import sys

import winrm


def main():
    if len(sys.argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, transport, user, password, command = sys.argv[1:6]
    ca = sys.argv[6] if len(sys.argv) == 7 else None
    kwargs = dict(
        transport=transport,
        read_timeout_sec=30,
        operation_timeout_sec=20,
        message_encryption='always'
        if endpoint.lower().startswith('http:') and transport in ('ntlm', 'kerberos', 'credssp') else 'auto',
    )
    if ca:
        kwargs.update(server_cert_validation='validate', ca_trust_path=ca)
    try:
        session = winrm.Session(endpoint, auth=(user, password), **kwargs)
        r = session.run_cmd(command)
    except Exception as e:  # report the failure to the test, not a traceback
        print(json.dumps({"type": type(e).__name__, "error": str(e)}))
        return 1
    print(json.dumps({
        "std_out": r.std_out.decode('cp437', errors='replace'),
        "std_err": r.std_err.decode('cp437', errors='replace'),
        "status_code": r.status_code,
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
