{
  # N-API addon over the system GSSAPI (MIT krb5, Debian libkrb5-dev): Kerberos/SPNEGO contexts with channel
  # bindings and gss_wrap_iov/gss_unwrap_iov for WinRM message encryption (MS-WSMV 2.2.9.1.2.2, RFC 4121 4.2.6.2).
  # npm runs `node-gyp rebuild` for it on install (root package, binding.gyp, no install script).
  # Loaded by provider/src/auth/kerberos/gssapi.ts from build/Release/winrm_gssapi.node.
  "targets": [
    {
      "target_name": "winrm_gssapi",
      "sources": ["native/gssapi.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lgssapi_krb5", "-lkrb5"]
    }
  ]
}
