"""A TLS 1.3 server that asks for a client certificate by post-handshake authentication (RFC 8446 4.6.2), as
http.sys does over TLS 1.3 without clientcertnegotiation=enable. Python's ssl module exposes OpenSSL's
SSL_verify_client_post_handshake; Node's TLS does not. Usage: pha_server.py CERT KEY. Prints the port, then, after
the client's first bytes, "requested" or "refused: <reason>" (the client did not offer the post_handshake_auth
extension), and exits after one connection."""
import socket
import ssl
import sys

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.verify_mode = ssl.CERT_OPTIONAL
ctx.post_handshake_auth = True
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
listener.settimeout(30)
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
conn.settimeout(30)
tls = ctx.wrap_socket(conn, server_side=True)
tls.recv(1024)
try:
    tls.verify_client_post_handshake()
    print("requested", flush=True)
except ssl.SSLError as e:
    print("refused: " + (e.reason or str(e)), flush=True)
tls.close()
listener.close()
