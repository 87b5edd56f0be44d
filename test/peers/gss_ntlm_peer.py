#!/usr/bin/python3
"""An independent NTLM peer: gss-ntlmssp (the GSSAPI NTLM mechanism) driven through python3-gssapi.

One security context per process, initiator or acceptor, driven by JSON lines on stdin; one JSON line answers each
request on stdout. Binary values are base64.

  {"op": "acceptor", "cb": "<b64 application data>"?}            -> {"ok": true}
      users come from NTLM_USER_FILE (lines DOMAIN:USER:PASSWORD); NETBIOS_COMPUTER_NAME / NETBIOS_DOMAIN_NAME
      name the host in the CHALLENGE.
  {"op": "initiator", "user": "DOMAIN\\\\user", "password": "...", "target": "HTTP@host", "cb": "<b64>"?}
                                                                  -> {"ok": true}
  {"op": "step", "token": "<b64>" | null}                         -> {"token": "<b64>" | null, "complete": bool,
                                                                      "peer": "DOMAIN\\\\user" (acceptor, complete)}
  {"op": "wrap", "data": "<b64>"}                                 -> {"data": "<b64 signature(16) || sealed>"}
  {"op": "unwrap", "data": "<b64 signature(16) || sealed>"}       -> {"data": "<b64 plaintext>"}
Any failure answers {"error": "<message>", "type": "<exception class>"} and the process keeps reading.
"""
import base64
import json
import sys

import gssapi
import gssapi.raw

NTLM = gssapi.OID.from_int_seq('1.3.6.1.4.1.311.2.2.10')


def b64(data):
    return None if data is None else base64.b64encode(data).decode('ascii')


def unb64(text):
    return None if text is None else base64.b64decode(text)


def bindings(req):
    """RFC 5929 application data ("tls-server-end-point:" || hash), as gss_channel_bindings_struct, or None."""
    data = unb64(req.get('cb'))
    return None if data is None else gssapi.raw.ChannelBindings(application_data=data)


class Peer:
    def __init__(self):
        self.ctx = None
        self.role = None

    def acceptor(self, req):
        creds = gssapi.Credentials(usage='accept', mechs=[NTLM])
        self.ctx = gssapi.SecurityContext(creds=creds, usage='accept', channel_bindings=bindings(req))
        self.role = 'acceptor'
        return {'ok': True}

    def initiator(self, req):
        name = gssapi.Name(req['user'], gssapi.NameType.user)
        creds = gssapi.raw.acquire_cred_with_password(
            name, req['password'].encode('utf-8'), usage='initiate', mechs=[NTLM]).creds
        target = gssapi.Name(req.get('target', 'HTTP@localhost'), gssapi.NameType.hostbased_service)
        self.ctx = gssapi.SecurityContext(name=target, creds=creds, mech=NTLM, usage='initiate',
                                          channel_bindings=bindings(req))
        self.role = 'initiator'
        return {'ok': True}

    def step(self, req):
        out = self.ctx.step(unb64(req.get('token')))
        resp = {'token': b64(out), 'complete': bool(self.ctx.complete)}
        if self.ctx.complete and self.role == 'acceptor':
            # gss-ntlmssp leaves a trailing NUL on the name (peers.md section 6).
            resp['peer'] = str(self.ctx.initiator_name).rstrip('\x00')
        return resp

    def wrap(self, req):
        return {'data': b64(self.ctx.wrap(unb64(req['data']), True).message)}

    def unwrap(self, req):
        res = self.ctx.unwrap(unb64(req['data']))
        return {'data': b64(res.message), 'encrypted': bool(res.encrypted)}


def main():
    peer = Peer()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            resp = getattr(peer, req['op'])(req)
        except Exception as e:  # report every failure to the test; keep serving
            resp = {'error': str(e), 'type': type(e).__name__}
        sys.stdout.write(json.dumps(resp) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
