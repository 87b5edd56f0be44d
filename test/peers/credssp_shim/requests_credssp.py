"""A small stand-in for requests-credssp's HttpCredSSPAuth, for the tests only.

Debian has no python3-requests-credssp, and this machine reaches no PyPI, so Debian's pywinrm 0.3.0 cannot run its
'credssp' transport as shipped. This module gives it the one class it imports (winrm/transport.py) with the members it
uses: the requests auth hook that runs the handshake on a 401, and wrap / unwrap / cipher_negotiated for
winrm/encryption.py. What the test then checks against the emulated host is pywinrm's own CredSSP message encryption
(MS-WSMV 2.2.9.1.3: the multipart framing, the LE32 trailer length it computes from the cipher suite, the 16 KiB
multipart/x-multi-encrypted chunking, the decryption and length check), over Python's OpenSSL TLS (ssl.MemoryBIO)
with python3-ntlm-auth's NTLM inside, none of it the TypeScript client's code.

The handshake (MS-CSSP 3.1.5) is the plain version 6 flow: TLS 1.2, NTLM in TSRequest.negoTokens, the SHA-256
public-key binding with a client nonce, TSCredentials with the password. DER is written and read here (no pyasn1 in
Debian's base set); only what a TSRequest needs.
"""
import base64
import hashlib
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from ntlm_auth.ntlm import NtlmContext
from requests.auth import AuthBase

CLIENT_MAGIC = b"CredSSP Client-To-Server Binding Hash\x00"
SERVER_MAGIC = b"CredSSP Server-To-Client Binding Hash\x00"
MAX_LEGS = 8


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    out = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(out)]) + out


def _tlv(tag, content):
    return bytes([tag]) + _der_len(len(content)) + content


def _int(v):
    return _tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def _octets(b):
    return _tlv(0x04, b)


def _seq(*items):
    return _tlv(0x30, b"".join(items))


def _ctx(n, content):
    return _tlv(0xA0 + n, content)


def _read_tlv(buf, at):
    tag = buf[at]
    first = buf[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count > 4:
            raise ValueError("DER length too long")
        length = int.from_bytes(buf[at:at + count], "big")
        at += count
    if at + length > len(buf):
        raise ValueError("DER element truncated")
    return tag, buf[at:at + length], at + length


def _fields(content):
    """The [n] EXPLICIT fields of a SEQUENCE's content, as {n: inner element content}."""
    out = {}
    at = 0
    while at < len(content):
        tag, inner, at = _read_tlv(content, at)
        _, value, _ = _read_tlv(inner, 0)
        out[tag - 0xA0] = value
    return out


def ts_request(version, nego=None, auth_info=None, pub_key_auth=None, nonce=None):
    parts = [_ctx(0, _int(version))]
    if nego is not None:
        parts.append(_ctx(1, _seq(_seq(_ctx(0, _octets(nego))))))
    if auth_info is not None:
        parts.append(_ctx(2, _octets(auth_info)))
    if pub_key_auth is not None:
        parts.append(_ctx(3, _octets(pub_key_auth)))
    if nonce is not None:
        parts.append(_ctx(5, _octets(nonce)))
    return _seq(*parts)


def parse_ts_request(data):
    tag, content, _ = _read_tlv(data, 0)
    if tag != 0x30:
        raise ValueError("TSRequest is not a SEQUENCE")
    f = _fields(content)
    out = {"version": int.from_bytes(f[0], "big", signed=True)}
    if 1 in f:
        # negoTokens: SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
        _, first, _ = _read_tlv(f[1], 0)
        out["nego"] = _fields(first)[0]
    if 3 in f:
        out["pub_key_auth"] = f[3]
    if 4 in f:
        out["error"] = int.from_bytes(f[4], "big", signed=True)
    return out


class HttpCredSSPAuth(AuthBase):
    def __init__(self, username, password, disable_tlsv1_2=False, auth_mechanism="auto", minimum_version=2):
        domain, _, user = username.rpartition("\\")
        self.domain, self.user, self.password = domain, user, password
        self.cipher_negotiated = None
        self._obj = None
        self._in = None
        self._out = None

    def __call__(self, request):
        request.headers["Connection"] = "Keep-Alive"
        request.register_hook("response", self._on_response)
        return request

    # --- the TLS session in memory ---
    def _pending(self):
        return self._out.read()

    def _plaintext(self):
        chunks = []
        while True:
            try:
                chunk = self._obj.read(65536)
            except ssl.SSLWantReadError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def wrap(self, data):
        self._obj.write(data)
        return self._pending()

    def unwrap(self, data):
        self._in.write(data)
        return self._plaintext()

    # --- the handshake, on the connection of the 401 ---
    def _on_response(self, response, **kwargs):
        if response.status_code != 401 or self._obj is not None:
            return response
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # CredSSP authenticates the key by the pubKeyAuth binding, not by a CA
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._obj = ctx.wrap_bio(self._in, self._out, server_side=False)
        ntlm = NtlmContext(self.user, self.password, self.domain, ntlm_compatibility=3)
        state = "tls"
        nonce = os.urandom(32)
        key = None
        try:
            self._obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        token = self._pending()
        for _ in range(MAX_LEGS):
            response.content  # drain, so the connection can carry the next leg
            response.raw.release_conn()
            request = response.request.copy()
            request.headers["Authorization"] = "CredSSP " + base64.b64encode(token).decode()
            response = response.connection.send(request, **kwargs)
            if response.status_code != 401:
                return response
            header = next(
                (h.strip() for h in response.headers.get("WWW-Authenticate", "").split(",") if h.strip().startswith("CredSSP ")),
                None,
            )
            if header is None:
                return response  # refused: pywinrm reports the 401
            self._in.write(base64.b64decode(header[len("CredSSP "):]))
            if state == "tls":
                try:
                    self._obj.do_handshake()
                except ssl.SSLWantReadError:
                    token = self._pending()
                    continue
                der = self._obj.getpeercert(binary_form=True)
                key = x509.load_der_x509_certificate(der).public_key().public_bytes(Encoding.DER, PublicFormat.PKCS1)
                self.cipher_negotiated = self._obj.cipher()[0]
                state = "nego"
                token = self._pending() + self.wrap(ts_request(6, nego=ntlm.step()))
            elif state == "nego":
                reply = parse_ts_request(self._plaintext())
                authenticate = ntlm.step(reply["nego"])
                binding = hashlib.sha256(CLIENT_MAGIC + nonce + key).digest()
                state = "pubkey"
                token = self.wrap(ts_request(6, nego=authenticate, pub_key_auth=ntlm.wrap(binding), nonce=nonce))
            elif state == "pubkey":
                reply = parse_ts_request(self._plaintext())
                if "error" in reply:
                    raise PermissionError("the host refused the logon (NTSTATUS 0x%08x)" % (reply["error"] & 0xFFFFFFFF))
                if ntlm.unwrap(reply["pub_key_auth"]) != hashlib.sha256(SERVER_MAGIC + nonce + key).digest():
                    raise ValueError("the host's pubKeyAuth does not bind its TLS key")
                creds = _seq(
                    _ctx(0, _int(1)),
                    _ctx(1, _octets(_seq(
                        _ctx(0, _octets(self.domain.encode("utf-16-le"))),
                        _ctx(1, _octets(self.user.encode("utf-16-le"))),
                        _ctx(2, _octets(self.password.encode("utf-16-le"))),
                    ))),
                )
                state = "sent"
                token = self.wrap(ts_request(6, auth_info=ntlm.wrap(creds)))
            else:
                return response
        raise ValueError("CredSSP: no result in %d legs" % MAX_LEGS)
