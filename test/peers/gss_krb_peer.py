#!/usr/bin/python3
"""An independent Kerberos peer: MIT krb5 driven through python3-gssapi (Debian), for cross-checking the addon.

One security context per process, initiator or acceptor, driven by JSON lines on stdin; one JSON line answers each
request on stdout. Binary values are base64. The realm comes from the environment (KRB5_CONFIG, KRB5_KTNAME,
KRB5CCNAME: test/peers/kdc.ts).

  {"op": "acceptor", "cb": "<b64 application data>"?}              -> {"ok": true}
      any service principal of the keytab (KRB5_KTNAME); raw krb5 and SPNEGO (krb5 only) alike.
  {"op": "initiator", "target": "HTTP@host", "mech": "krb5" | "spnego", "cb": "<b64>"?,
   "user": "user@REALM"?, "password": "..."?}                       -> {"ok": true}
      with user/password the ticket is acquired in memory; without, the default ccache is used.
  {"op": "step", "token": "<b64>" | null}                           -> {"token": "<b64>" | null, "complete": bool,
                                                                        "peer": "user@REALM" (acceptor, complete),
                                                                        "mech": "<dotted OID>" (complete)}
  {"op": "wrap_iov", "data": "<b64>"}                               -> {"header": "<b64>", "data": "<b64>",
                                                                        "padding": "<b64>"}
      gss_wrap_iov(HEADER | DATA | PADDING, conf) as pyspnego's wrap_winrm and Windows (MS-WSMV 2.2.9.1.2.2).
  {"op": "unwrap_iov", "header": "<b64>", "data": "<b64>"}          -> {"data": "<b64>", "encrypted": bool}
  {"op": "wrap", "data": "<b64>"}                                   -> {"data": "<b64>"}
      plain gss_wrap (conf): one RFC 4121 token with RRC 0, as pyspnego's CredSSP sends pubKeyAuth on MIT.
  {"op": "unwrap", "data": "<b64 header || data>"}                  -> {"data": "<b64>", "encrypted": bool}
      plain gss_unwrap of the concatenation: a second, independent parse of a WinRM-layout token (the npm kerberos package keeps its GSS contexts private).
Any failure answers {"error": "<message>", "type": "<exception class>"} and the process keeps reading (the loop,
the step and unwrap ops and the helpers are jsonlines_peer.py's, shared with gss_ntlm_peer.py).
"""
import gssapi
import gssapi.raw as raw

from jsonlines_peer import ContextPeer, b64, serve, unb64

KRB5 = gssapi.OID.from_int_seq('1.2.840.113554.1.2.2')
SPNEGO = gssapi.OID.from_int_seq('1.3.6.1.5.5.2')


def krb5_only(creds):
    """SPNEGO offers and accepts krb5 only: gss-ntlmssp may be installed on the machine (test/peers/gss_ntlm_peer.py)."""
    raw.set_neg_mechs(creds, {KRB5})
    return creds


class Peer(ContextPeer):
    def acceptor(self, req):
        return self._accept(req, krb5_only(gssapi.Credentials(usage='accept', mechs=[KRB5, SPNEGO])))

    def initiator(self, req):
        mech = SPNEGO if req.get('mech') == 'spnego' else KRB5
        if req.get('user') is not None:
            name = gssapi.Name(req['user'], gssapi.NameType.kerberos_principal)
            creds = raw.acquire_cred_with_password(
                name, req['password'].encode('utf-8'), usage='initiate', mechs=[KRB5, SPNEGO]).creds
        else:
            creds = gssapi.Credentials(usage='initiate', mechs=[KRB5, SPNEGO])
        if mech == SPNEGO:
            krb5_only(creds)
        flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.replay_detection
                 | gssapi.RequirementFlag.out_of_sequence_detection | gssapi.RequirementFlag.confidentiality
                 | gssapi.RequirementFlag.integrity)
        return self._initiate(req, creds, mech, flags=flags)

    def _completed(self):
        done = {'mech': self.ctx.mech.dotted_form}
        if self.role == 'acceptor':
            done['peer'] = str(self.ctx.initiator_name)
        return done

    def wrap_iov(self, req):
        iov = raw.IOV(raw.IOVBufferType.header, unb64(req['data']), raw.IOVBufferType.padding, std_layout=False)
        conf = raw.wrap_iov(self.ctx, iov, confidential=True)
        if not conf:
            raise RuntimeError('wrap_iov did not encrypt')
        return {'header': b64(iov[0].value), 'data': b64(iov[1].value), 'padding': b64(iov[2].value or b'')}

    def wrap(self, req):
        res = self.ctx.wrap(unb64(req['data']), True)
        if not res.encrypted:
            raise RuntimeError('wrap did not encrypt')
        return {'data': b64(res.message)}

    def unwrap_iov(self, req):
        iov = raw.IOV((raw.IOVBufferType.header, False, unb64(req['header'])), unb64(req['data']),
                      (raw.IOVBufferType.data, False, b''), std_layout=False)
        res = raw.unwrap_iov(self.ctx, iov)
        return {'data': b64(iov[1].value), 'encrypted': bool(res.encrypted)}


if __name__ == '__main__':
    serve(Peer())
