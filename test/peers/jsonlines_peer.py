"""What test/peers/gss_krb_peer.py and gss_ntlm_peer.py share: the JSON-lines request loop, the base64 and
channel-binding helpers, and the one-context peer (ContextPeer) whose ops they extend. Imported by those scripts, which /usr/bin/python3 runs by path: Python puts the script's own
directory first on sys.path, so this module is found whatever the working directory of the test that spawns them.

Protocol: one JSON object a line on stdin, {"op": "<method of the peer>", ...}; one JSON line answers each request on
stdout. Any failure answers {"error": "<message>", "type": "<exception class>"} and the process keeps reading.
"""
import base64
import json
import sys

import gssapi
import gssapi.raw


def b64(data):
    return None if data is None else base64.b64encode(data).decode('ascii')


def unb64(text):
    return None if text is None else base64.b64decode(text)


def bindings(req):
    """RFC 5929 application data ("tls-server-end-point:" || hash) as gss_channel_bindings_struct (address fields
    empty), or None."""
    data = unb64(req.get('cb'))
    return None if data is None else gssapi.raw.ChannelBindings(application_data=data)


class ContextPeer:
    """One GSS security context, acceptor or initiator. Subclasses add the ops "acceptor" and "initiator" (their
    credentials and mechanism) on top of _accept / _initiate, and what a completed context reports (_completed)."""

    def __init__(self):
        self.ctx = None
        self.role = None

    def _accept(self, req, creds):
        self.ctx = gssapi.SecurityContext(creds=creds, usage='accept', channel_bindings=bindings(req))
        self.role = 'acceptor'
        return {'ok': True}

    def _initiate(self, req, creds, mech, **context_args):
        target = gssapi.Name(req.get('target', 'HTTP@localhost'), gssapi.NameType.hostbased_service)
        self.ctx = gssapi.SecurityContext(name=target, creds=creds, mech=mech, usage='initiate',
                                          channel_bindings=bindings(req), **context_args)
        self.role = 'initiator'
        return {'ok': True}

    def _completed(self):
        """Fields added to the answer of the step that completes the context."""
        return {}

    def step(self, req):
        out = self.ctx.step(unb64(req.get('token')))
        resp = {'token': b64(out), 'complete': bool(self.ctx.complete)}
        if self.ctx.complete:
            resp.update(self._completed())
        return resp

    def unwrap(self, req):
        res = self.ctx.unwrap(unb64(req['data']))
        return {'data': b64(res.message), 'encrypted': bool(res.encrypted)}


def serve(peer):
    """Answer requests on stdin with peer.<op>(request) until stdin closes."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req['op'].startswith('_'):  # helpers of the peer, not ops
                raise AttributeError(f"no op {req['op']!r}")
            resp = getattr(peer, req['op'])(req)
        except Exception as e:  # report every failure to the test; keep serving
            resp = {'error': str(e), 'type': type(e).__name__}
        sys.stdout.write(json.dumps(resp) + '\n')
        sys.stdout.flush()
