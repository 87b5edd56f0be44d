"""One download with pywinrm (Debian python3-winrm): `bench-output N` through Protocol's Receive loop, each chunk
dropped as it arrives (run_cmd would hold the whole output). Prints {bytes, seconds, maxRssMb, requests} as JSON.

Run with /usr/bin/python3 and OPENSSL_CONF enabling OpenSSL's legacy provider (MD4 for NTLM).
usage: pywinrm_bulk.py ENDPOINT USER PASSWORD BYTES
"""
import json
import resource
import sys
import time

import winrm

endpoint, user, password, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
https = endpoint.startswith("https:")
p = winrm.Protocol(endpoint, transport="ntlm", username=user, password=password,
                   message_encryption="auto" if https else "always", server_cert_validation="ignore",
                   read_timeout_sec=60, operation_timeout_sec=20)
shell = p.open_shell()
cmd = p.run_command(shell, "echo", ["warm"])
p.get_command_output(shell, cmd)
p.cleanup_command(shell, cmd)
start = time.perf_counter()
cmd = p.run_command(shell, "bench-output", [str(n)])
total, requests, done, code = 0, 0, False, -1
while not done:
    out, err, code, done = p._raw_get_command_output(shell, cmd)
    requests += 1
    total += len(out)
elapsed = time.perf_counter() - start
p.cleanup_command(shell, cmd)
p.close_shell(shell)
if total != n or code != 0:
    print(json.dumps({"error": f"got {total} bytes, exit {code}"}))
    sys.exit(1)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"bytes": total, "seconds": elapsed, "maxRssMb": rss, "requests": requests + 1}))
