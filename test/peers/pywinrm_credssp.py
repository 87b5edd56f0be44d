#!/usr/bin/python3
"""pywinrm 0.3.0 (Debian python3-winrm) with transport='credssp' over http://, message encryption 'always'.

usage: pywinrm_credssp.py ENDPOINT USER PASSWORD

requests-credssp is not in Debian: test/peers/credssp_shim/requests_credssp.py stands in for its HttpCredSSPAuth, so
that pywinrm's own CredSSP sealing (winrm/encryption.py) is what talks to the host. Runs two commands: a short echo, and
an echo of 21,000 characters, whose Command message and output are both over 16 KiB (multipart/x-multi-encrypted
both ways). Prints {"results": [{"std_out", "status_code"}...], "cipher"} or
{"error", "type"} and exit 1. NTLM needs MD4: run with OPENSSL_CONF pointing at a legacy-provider config.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "credssp_shim"))

import winrm  # noqa: E402

LONG_ARGUMENT = "sealed-" * 3000


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, user, password = sys.argv[1:4]
    try:
        session = winrm.Session(endpoint, auth=(user, password), transport="credssp", message_encryption="always",
                                read_timeout_sec=30, operation_timeout_sec=20)
        results = []
        for command, args in (("echo pywinrm-credssp", ()), ("echo", (LONG_ARGUMENT,))):
            r = session.run_cmd(command, args)
            results.append({"std_out": r.std_out.decode("utf-8", "replace"), "status_code": r.status_code})
        cipher = session.protocol.transport.session.auth.cipher_negotiated
    except Exception as e:  # report the failure to the test, not a traceback
        print(json.dumps({"type": type(e).__name__, "error": str(e)}))
        return 1
    print(json.dumps({"results": results, "cipher": cipher}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
