#!/usr/bin/python3
"""Run one command with pywinrm's certificate transport (WS-Man https/mutual) and print the result as JSON.

usage: pywinrm_cert_run.py ENDPOINT CERT_PEM KEY_PEM CA_PEM COMMAND

The files are paths; the server certificate is validated against CA_PEM. Prints {"std_out", "status_code"} on
success, {"error", "type"} and exit 1 on failure.
"""
import json
import sys

import winrm


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, cert, key, ca, command = sys.argv[1:6]
    try:
        session = winrm.Session(endpoint, auth=("", ""), transport="certificate", cert_pem=cert, cert_key_pem=key,
                                server_cert_validation="validate", ca_trust_path=ca, read_timeout_sec=30,
                                operation_timeout_sec=20)
        r = session.run_cmd(command)
    except Exception as e:  # report the failure to the test, not a traceback
        print(json.dumps({"type": type(e).__name__, "error": str(e)}))
        return 1
    print(json.dumps({"std_out": r.std_out.decode("cp437", errors="replace"), "status_code": r.status_code}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
