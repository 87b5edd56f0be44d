"""Runs N sequential commands with pywinrm (Debian python3-winrm) and prints the wall time as JSON.

Run with /usr/bin/python3 (Debian's modules load only there) and OPENSSL_CONF pointing at a config that enables
OpenSSL's legacy provider (pywinrm's NTLM needs MD4).
usage: pywinrm_bench.py ENDPOINT USER PASSWORD COUNT
"""
import json
import sys
import time

import winrm

endpoint, user, password, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
session = winrm.Session(endpoint, auth=(user, password), transport="ntlm", message_encryption="always",
                        read_timeout_sec=30, operation_timeout_sec=20)
start = time.perf_counter()
for i in range(count):
    r = session.run_cmd("echo", [str(i)])
    if r.status_code != 0 or r.std_out.strip() != str(i).encode():
        print(json.dumps({"error": f"command {i} returned {r.status_code} {r.std_out!r}"}))
        sys.exit(1)
elapsed = time.perf_counter() - start
print(json.dumps({"commands": count, "seconds": elapsed}))
