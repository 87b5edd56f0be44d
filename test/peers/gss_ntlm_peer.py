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
Any failure answers {"error": "<message>", "type": "<exception class>"} and the process keeps reading (the loop,
the step and unwrap ops and the helpers are jsonlines_peer.py's, shared with gss_krb_peer.py).
"""
import gssapi
import gssapi.raw

from jsonlines_peer import ContextPeer, b64, serve, unb64

NTLM = gssapi.OID.from_int_seq('1.3.6.1.4.1.311.2.2.10')


class Peer(ContextPeer):
    def acceptor(self, req):
        return self._accept(req, gssapi.Credentials(usage='accept', mechs=[NTLM]))

    def initiator(self, req):
        name = gssapi.Name(req['user'], gssapi.NameType.user)
        creds = gssapi.raw.acquire_cred_with_password(
            name, req['password'].encode('utf-8'), usage='initiate', mechs=[NTLM]).creds
        return self._initiate(req, creds, NTLM)

    def _completed(self):
        if self.role != 'acceptor':
            return {}
        # gss-ntlmssp leaves a trailing NUL on the name.
        return {'peer': str(self.ctx.initiator_name).rstrip('\x00')}

    def wrap(self, req):
        return {'data': b64(self.ctx.wrap(unb64(req['data']), True).message)}


if __name__ == '__main__':
    serve(Peer())
