/*
 * winrm_gssapi: a small N-API addon over the system GSSAPI (MIT krb5) for WinRM's Kerberos.
 *
 * What it adds over the npm `kerberos` package (the npm kerberos package keeps its GSS contexts private): password credentials without a ccache
 * (gss_acquire_cred_with_password), channel bindings on both sides (RFC 5929 / RFC 2744 3.11), an acceptor with
 * wrap/unwrap, and gss_wrap_iov / gss_unwrap_iov with the HEADER | DATA | PADDING layout WinRM uses
 * (MS-WSMV 2.2.9.1.2.2; for AES: a 60-byte header, EC 0, RRC 28, RFC 4121 4.2.6.2).
 *
 * JS API (typed in provider/src/auth/kerberos/gssapi.ts):
 *   acquireCredWithPassword(principal, password)            -> Promise<CredHandle>
 *   initSecContext({ target, cred?, mech?, flags?, channelBindings?, input?, ctx? })
 *                                                            -> Promise<{ ctx, token, complete, flags, mech }>
 *   acceptSecContext({ ctx?, input, channelBindings?, keytab? })
 *                                                            -> { ctx, token, complete, flags, mech, spnego, initiator? }
 *   wrapIov(ctx, data, conf = true)                         -> { header, data, padding }
 *   unwrapIov(ctx, header, data)                            -> Buffer
 *   release(handle), displayStatus(major, minor), liveHandles(), flags
 *
 * Threading: acquireCredWithPassword and initSecContext may talk to the KDC (AS and TGS exchanges), so they run on the
 * libuv thread pool (napi async work); everything else is synchronous on the JS thread. A context busy in async work
 * refuses every other call. MIT krb5 is thread-safe for distinct objects.
 *
 * Memory: every gss_buffer_t from the library is released with gss_release_buffer / gss_release_iov_buffer; names
 * with gss_release_name. Contexts and credentials live in C structs behind JS externals whose finalizers release
 * them (release() does it early). The password is copied once, wiped after use, and never appears in an error.
 */
#include <node_api.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------------- */
/* OIDs                                                                                                             */

/* 1.2.840.113554.1.2.2 (RFC 1964), 1.2.840.48018.1.2.2 (Microsoft's krb5 OID in SPNEGO mech lists),
 * 1.3.6.1.5.5.2 (SPNEGO, RFC 4178), 1.3.6.1.4.1.311.2.2.10 (NTLMSSP). */
static gss_OID_desc OID_KRB5 = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
static gss_OID_desc OID_MS_KRB5 = {9, (void *)"\x2a\x86\x48\x82\xf7\x12\x01\x02\x02"};
static gss_OID_desc OID_SPNEGO = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};
static gss_OID_desc OID_NTLM = {10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};

/* Credentials carry a krb5 element and a SPNEGO element (so the same handle serves both mechs); SPNEGO is then told
 * to negotiate krb5 only: NTLM is the TypeScript NtlmMechanism's job, and a gss-ntlmssp installed on the machine
 * (/etc/gss/mech.d) must not be offered or accepted behind our back. */
static gss_OID_desc MECHS_BOTH_ELEMS[2];
static gss_OID_set_desc MECHS_BOTH = {2, MECHS_BOTH_ELEMS};
static gss_OID_set_desc MECHS_KRB5_ONLY = {1, &OID_KRB5};

static int oid_eq(gss_const_OID a, gss_const_OID b) {
  return a != GSS_C_NO_OID && b != GSS_C_NO_OID && a->length == b->length &&
         memcmp(a->elements, b->elements, a->length) == 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Handles                                                                                                          */

#define KIND_CRED 0x43524544u /* "CRED" */
#define KIND_CTX 0x43545854u  /* "CTXT" */

/* Number of C structs alive (credentials + contexts), for the finalizer test. JS thread only. */
static int64_t g_live = 0;

typedef struct {
  uint32_t kind;
  /* Owners: the JS external (1) + every context that keeps this credential for its next steps. */
  int refs;
  int released; /* release() was called: no new context may use it */
  gss_cred_id_t cred;
  /* The process-private MEMORY ccache holding the TGT of a password credential (see acquire_execute). */
  krb5_context kctx;
  krb5_ccache ccache;
} cred_t;

static void cred_release_gss(cred_t *c) {
  OM_uint32 minor;
  if (c->cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &c->cred);
  if (c->ccache != NULL) krb5_cc_destroy(c->kctx, c->ccache); /* wipes the tickets and keys */
  c->ccache = NULL;
  if (c->kctx != NULL) krb5_free_context(c->kctx);
  c->kctx = NULL;
}

enum { ROLE_INITIATOR = 1, ROLE_ACCEPTOR = 2 };

typedef struct {
  uint32_t kind;
  int role;
  int busy;     /* async work in flight */
  int released; /* release() was called */
  int failed;   /* a step failed: the context is unusable (RFC 2743 2.2.1) */
  int started;  /* the first step ran */
  int complete;
  int spnego; /* acceptor: the initiator spoke SPNEGO */
  int use_spnego; /* initiator: mech requested */
  gss_ctx_id_t ctx;
  gss_cred_id_t own_cred; /* credential we acquired ourselves (default SPNEGO initiator, acceptor) */
  cred_t *cred;           /* caller's credential (initiator), one ref held */
  gss_name_t target;
  char *target_str;
  uint8_t *cb; /* channel bindings application data, kept for every step */
  size_t cb_len;
  int has_cb;
} ctx_t;

static void cred_unref(cred_t *c) {
  if (--c->refs > 0) return;
  cred_release_gss(c);
  free(c);
  g_live--;
}

/* Releases everything GSS-side a context holds; idempotent. */
static void ctx_release_gss(ctx_t *c) {
  OM_uint32 minor;
  if (c->ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
  if (c->own_cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &c->own_cred);
  if (c->target != GSS_C_NO_NAME) gss_release_name(&minor, &c->target);
  if (c->cred != NULL) {
    cred_unref(c->cred);
    c->cred = NULL;
  }
  free(c->target_str);
  c->target_str = NULL;
  free(c->cb);
  c->cb = NULL;
}

static void cred_finalize(napi_env env, void *data, void *hint) { cred_unref((cred_t *)data); }

static void ctx_finalize(napi_env env, void *data, void *hint) {
  ctx_t *c = (ctx_t *)data;
  ctx_release_gss(c);
  free(c);
  g_live--;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Errors                                                                                                           */

static const char *routine_name(OM_uint32 major) {
  static const char *names[] = {
      NULL,
      "GSS_S_BAD_MECH",
      "GSS_S_BAD_NAME",
      "GSS_S_BAD_NAMETYPE",
      "GSS_S_BAD_BINDINGS",
      "GSS_S_BAD_STATUS",
      "GSS_S_BAD_MIC",
      "GSS_S_NO_CRED",
      "GSS_S_NO_CONTEXT",
      "GSS_S_DEFECTIVE_TOKEN",
      "GSS_S_DEFECTIVE_CREDENTIAL",
      "GSS_S_CREDENTIALS_EXPIRED",
      "GSS_S_CONTEXT_EXPIRED",
      "GSS_S_FAILURE",
      "GSS_S_BAD_QOP",
      "GSS_S_UNAUTHORIZED",
      "GSS_S_UNAVAILABLE",
      "GSS_S_DUPLICATE_ELEMENT",
      "GSS_S_NAME_NOT_MN",
      "GSS_S_BAD_MECH_ATTR",
  };
  OM_uint32 routine = GSS_ROUTINE_ERROR(major) >> GSS_C_ROUTINE_ERROR_OFFSET;
  if (routine != 0) return routine < sizeof(names) / sizeof(names[0]) ? names[routine] : "GSS_S_FAILURE";
  if (GSS_CALLING_ERROR(major) != 0) return "GSS_S_CALL_ERROR";
  /* Supplementary bits only (RFC 2743 1.2.1.1): fatal for unwrap, which demands an in-order, fresh token. */
  if (major & GSS_S_DUPLICATE_TOKEN) return "GSS_S_DUPLICATE_TOKEN";
  if (major & GSS_S_OLD_TOKEN) return "GSS_S_OLD_TOKEN";
  if (major & GSS_S_UNSEQ_TOKEN) return "GSS_S_UNSEQ_TOKEN";
  if (major & GSS_S_GAP_TOKEN) return "GSS_S_GAP_TOKEN";
  return "GSS_S_FAILURE";
}

static void append(char *buf, size_t size, const char *text, size_t len) {
  size_t used = strlen(buf);
  if (used + 1 >= size) return;
  size_t room = size - used - 1;
  if (len > room) len = room;
  memcpy(buf + used, text, len);
  buf[used + len] = '\0';
}

static void append_display(char *buf, size_t size, OM_uint32 code, int type) {
  OM_uint32 minor, more = 0;
  do {
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    OM_uint32 major = gss_display_status(&minor, code, type, GSS_C_NO_OID, &more, &text);
    if (GSS_ERROR(major)) break;
    if (text.length > 0) {
      append(buf, size, ": ", 2);
      append(buf, size, (const char *)text.value, text.length);
    }
    gss_release_buffer(&minor, &text);
  } while (more != 0);
}

/* "<fn> failed: <major text>: <minor text>". MIT keeps a krb5 error's extended text (e.g. "Server HTTP/x@R not found
 * in Kerberos database") in thread-local storage, so this must run on the thread that made the failing call. */
static void format_status(char *buf, size_t size, const char *fn, OM_uint32 major, OM_uint32 minor) {
  buf[0] = '\0';
  append(buf, size, fn, strlen(fn));
  append(buf, size, " failed", 7);
  append_display(buf, size, major, GSS_C_GSS_CODE);
  /* With only supplementary bits (a replayed token) the minor code says nothing ("Success"). */
  if (minor != 0 && GSS_ERROR(major)) append_display(buf, size, minor, GSS_C_MECH_CODE);
}

static napi_value make_gss_error(napi_env env, const char *message, OM_uint32 major, OM_uint32 minor) {
  napi_value code, msg, err, v;
  napi_create_string_utf8(env, routine_name(major), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  napi_create_string_utf8(env, "GssError", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "name", v);
  napi_create_uint32(env, major, &v);
  napi_set_named_property(env, err, "major", v);
  napi_create_uint32(env, minor, &v);
  napi_set_named_property(env, err, "minor", v);
  return err;
}

static void throw_gss(napi_env env, const char *fn, OM_uint32 major, OM_uint32 minor) {
  char buf[1024];
  format_status(buf, sizeof buf, fn, major, minor);
  napi_throw(env, make_gss_error(env, buf, major, minor));
}

/* Throw a TypeError unless one is already pending (a failed napi call may have thrown). */
static void throw_type(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, NULL, message);
}

static void throw_plain(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, message);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Argument helpers                                                                                                 */

/* A JS string as a malloc'ed NUL-terminated UTF-8 copy; NULL (with an exception) on failure. */
static char *get_string(napi_env env, napi_value v, const char *what) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    throw_type(env, what);
    return NULL;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) {
    throw_plain(env, "out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  if (strlen(s) != len) { /* embedded NUL: would silently truncate a name */
    free(s);
    throw_type(env, what);
    return NULL;
  }
  return s;
}

/* Bytes of a Buffer / Uint8Array (borrowed: valid during this call only). Returns 0 with an exception on failure. */
static int get_bytes(napi_env env, napi_value v, const char *what, void **data, size_t *len) {
  bool is = false;
  if (napi_is_buffer(env, v, &is) == napi_ok && is) return napi_get_buffer_info(env, v, data, len) == napi_ok;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    if (napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) != napi_ok) return 0;
    if (type == napi_uint8_array) return 1;
  }
  throw_type(env, what);
  return 0;
}

/* Named property; *present = 0 when missing or undefined. */
static int get_opt(napi_env env, napi_value obj, const char *name, napi_value *out, int *present) {
  napi_valuetype t;
  *present = 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return 0;
  if (napi_typeof(env, *out, &t) != napi_ok) return 0;
  *present = t != napi_undefined;
  return 1;
}

static void *get_handle(napi_env env, napi_value v, uint32_t kind, const char *what) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok ||
      p == NULL || *(uint32_t *)p != kind) {
    throw_type(env, what);
    return NULL;
  }
  return p;
}

static int get_ctx_usable(napi_env env, napi_value v, ctx_t **out) {
  ctx_t *c = get_handle(env, v, KIND_CTX, "ctx must be a context handle");
  if (c == NULL) return 0;
  if (c->released) {
    throw_plain(env, "the security context was released");
    return 0;
  }
  if (c->busy) {
    throw_plain(env, "the security context is busy (a step is still running)");
    return 0;
  }
  if (c->failed) {
    throw_plain(env, "the security context failed earlier and cannot be used");
    return 0;
  }
  *out = c;
  return 1;
}

static napi_value buffer_copy(napi_env env, const void *data, size_t len) {
  napi_value out;
  static const uint8_t empty = 0;
  if (napi_create_buffer_copy(env, len, len > 0 ? data : &empty, NULL, &out) != napi_ok) return NULL;
  return out;
}

static void set_bool(napi_env env, napi_value obj, const char *name, int value) {
  napi_value v;
  napi_get_boolean(env, value != 0, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_u32(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_str(napi_env env, napi_value obj, const char *name, const char *value, size_t len) {
  napi_value v;
  napi_create_string_utf8(env, value, len, &v);
  napi_set_named_property(env, obj, name, v);
}

/* "krb5", "spnego", "ntlm", else the dotted OID. */
static void set_mech(napi_env env, napi_value obj, gss_const_OID mech) {
  const char *known = NULL;
  if (mech == GSS_C_NO_OID) return;
  if (oid_eq(mech, &OID_KRB5) || oid_eq(mech, &OID_MS_KRB5)) known = "krb5";
  else if (oid_eq(mech, &OID_SPNEGO)) known = "spnego";
  else if (oid_eq(mech, &OID_NTLM)) known = "ntlm";
  if (known != NULL) {
    set_str(env, obj, "mech", known, strlen(known));
    return;
  }
  OM_uint32 minor;
  gss_buffer_desc s = GSS_C_EMPTY_BUFFER;
  if (!GSS_ERROR(gss_oid_to_str(&minor, (gss_OID)mech, &s))) {
    size_t len = s.length;
    while (len > 0 && ((const char *)s.value)[len - 1] == '\0') len--;
    set_str(env, obj, "mech", (const char *)s.value, len);
  }
  gss_release_buffer(&minor, &s);
}

/* gss_channel_bindings_struct with only application data (RFC 5929 tls-server-end-point, RFC 5929 4.1): the
 * address fields stay GSS_C_AF_UNSPEC / empty as every HTTP client sends them. */
static void fill_bindings(struct gss_channel_bindings_struct *cb, uint8_t *data, size_t len) {
  memset(cb, 0, sizeof *cb);
  cb->initiator_addrtype = GSS_C_AF_UNSPEC;
  cb->acceptor_addrtype = GSS_C_AF_UNSPEC;
  cb->application_data.length = len;
  cb->application_data.value = data;
}

/* Limit a credential's SPNEGO element to krb5 (see MECHS_BOTH). */
static OM_uint32 limit_to_krb5(OM_uint32 *minor, gss_cred_id_t cred) {
  return gss_set_neg_mechs(minor, cred, &MECHS_KRB5_ONLY);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* acquireCredWithPassword(principal, password) -> Promise<CredHandle>                                              */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *principal;
  char *password;
  size_t password_len;
  gss_cred_id_t cred;
  krb5_context kctx;
  krb5_ccache ccache;
  OM_uint32 major, minor;
  char message[1024];
} acquire_work_t;

static void krb5_fail(acquire_work_t *w, const char *fn, krb5_error_code code) {
  const char *text = w->kctx != NULL ? krb5_get_error_message(w->kctx, code) : NULL;
  snprintf(w->message, sizeof w->message, "%s failed: %s", fn, text != NULL ? text : "krb5 error");
  if (text != NULL) krb5_free_error_message(w->kctx, text);
  w->major = GSS_S_FAILURE;
  w->minor = (OM_uint32)code;
}

/*
 * One AS exchange, then the credential the rest of the addon wants: a krb5 element and a SPNEGO element (limited to
 * krb5) over the same TGT, held in a MEMORY ccache private to this credential and destroyed with it.
 *
 * Why not gss_acquire_cred_with_password for {krb5, SPNEGO} directly: MIT's SPNEGO acquires with the password for every
 * installed mech (gss-ntlmssp too), which costs a second AS exchange and, on a wrong password, reports the NTLM mech's
 * error ("An invalid name was supplied") instead of krb5's ("Preauthentication failed"); with a DOMAIN\user name it
 * could even "succeed" on NTLM alone.
 */
static void acquire_execute(napi_env env, void *data) {
  acquire_work_t *w = data;
  OM_uint32 minor;
  gss_name_t name = GSS_C_NO_NAME;
  gss_cred_id_t k5 = GSS_C_NO_CREDENTIAL;
  krb5_error_code code;
  krb5_principal princ = NULL;
  char *ccname = NULL;
  gss_buffer_desc nbuf = {strlen(w->principal), w->principal};
  w->major = gss_import_name(&w->minor, &nbuf, GSS_KRB5_NT_PRINCIPAL_NAME, &name);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_import_name", w->major, w->minor);
    return;
  }
  gss_buffer_desc pw = {w->password_len, w->password};
  /* MIT gets the initial ticket from the KDC here (AS exchange), into a MEMORY ccache owned by k5. */
  w->major = gss_acquire_cred_with_password(&w->minor, name, &pw, GSS_C_INDEFINITE, &MECHS_KRB5_ONLY, GSS_C_INITIATE,
                                            &k5, NULL, NULL);
  gss_release_name(&minor, &name);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_acquire_cred_with_password", w->major, w->minor);
    return;
  }
  if ((code = krb5_init_context(&w->kctx)) != 0) {
    w->kctx = NULL;
    krb5_fail(w, "krb5_init_context", code);
    goto done;
  }
  if ((code = krb5_cc_new_unique(w->kctx, "MEMORY", NULL, &w->ccache)) != 0) {
    w->ccache = NULL;
    krb5_fail(w, "krb5_cc_new_unique", code);
    goto done;
  }
  /* gss_krb5_copy_ccache only stores the tickets: the ccache must first be initialized with the client principal,
   * the one the KDC answered for (canonical form), as the credential reports it. */
  w->major = gss_inquire_cred(&w->minor, k5, &name, NULL, NULL, NULL);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_inquire_cred", w->major, w->minor);
    goto done;
  }
  gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
  w->major = gss_display_name(&w->minor, name, &shown, NULL);
  gss_release_name(&minor, &name);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_display_name", w->major, w->minor);
    goto done;
  }
  char *client = strndup(shown.value, shown.length);
  gss_release_buffer(&minor, &shown);
  if (client == NULL) {
    krb5_fail(w, "strndup", ENOMEM);
    goto done;
  }
  code = krb5_parse_name(w->kctx, client, &princ);
  free(client);
  if (code != 0) {
    krb5_fail(w, "krb5_parse_name", code);
    goto done;
  }
  code = krb5_cc_initialize(w->kctx, w->ccache, princ);
  krb5_free_principal(w->kctx, princ);
  if (code != 0) {
    krb5_fail(w, "krb5_cc_initialize", code);
    goto done;
  }
  w->major = gss_krb5_copy_ccache(&w->minor, k5, w->ccache);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_krb5_copy_ccache", w->major, w->minor);
    goto done;
  }
  if ((code = krb5_cc_get_full_name(w->kctx, w->ccache, &ccname)) != 0) {
    krb5_fail(w, "krb5_cc_get_full_name", code);
    goto done;
  }
  gss_key_value_element_desc el = {"ccache", ccname};
  gss_key_value_set_desc store = {1, &el};
  w->major = gss_acquire_cred_from(&w->minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &MECHS_BOTH, GSS_C_INITIATE, &store,
                                   &w->cred, NULL, NULL);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_acquire_cred_from", w->major, w->minor);
    goto done;
  }
  w->major = limit_to_krb5(&w->minor, w->cred);
  if (GSS_ERROR(w->major)) format_status(w->message, sizeof w->message, "gss_set_neg_mechs", w->major, w->minor);
done:
  if (ccname != NULL) krb5_free_string(w->kctx, ccname);
  gss_release_cred(&minor, &k5);
}

static void acquire_complete(napi_env env, napi_status status, void *data) {
  acquire_work_t *w = data;
  OM_uint32 minor;
  if (status != napi_ok) {
    napi_value msg, err;
    napi_create_string_utf8(env, "acquireCredWithPassword was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  } else if (GSS_ERROR(w->major)) {
    napi_reject_deferred(env, w->deferred, make_gss_error(env, w->message, w->major, w->minor));
  } else {
    cred_t *c = calloc(1, sizeof *c);
    napi_value ext;
    if (c != NULL) {
      c->kind = KIND_CRED;
      c->refs = 1;
      c->cred = w->cred;
      c->kctx = w->kctx;
      c->ccache = w->ccache;
      w->cred = GSS_C_NO_CREDENTIAL;
      w->kctx = NULL;
      w->ccache = NULL;
      g_live++;
      if (napi_create_external(env, c, cred_finalize, NULL, &ext) != napi_ok) {
        cred_unref(c);
        c = NULL;
      }
    }
    if (c != NULL) {
      napi_resolve_deferred(env, w->deferred, ext);
    } else {
      napi_value msg, err;
      napi_create_string_utf8(env, "out of memory", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &err);
      napi_reject_deferred(env, w->deferred, err);
    }
  }
  /* Left here only when something failed. */
  if (w->cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &w->cred);
  if (w->ccache != NULL) krb5_cc_destroy(w->kctx, w->ccache);
  if (w->kctx != NULL) krb5_free_context(w->kctx);
  napi_delete_async_work(env, w->work);
  free(w->principal);
  if (w->password != NULL) {
    explicit_bzero(w->password, w->password_len);
    free(w->password);
  }
  free(w);
}

static napi_value acquire_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise, name;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    throw_type(env, "acquireCredWithPassword(principal, password)");
    return NULL;
  }
  acquire_work_t *w = calloc(1, sizeof *w);
  if (w == NULL) {
    throw_plain(env, "out of memory");
    return NULL;
  }
  w->principal = get_string(env, argv[0], "principal must be a string");
  if (w->principal == NULL) goto fail;
  w->password = get_string(env, argv[1], "password must be a string");
  if (w->password == NULL) goto fail;
  w->password_len = strlen(w->password);
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) goto fail;
  napi_create_string_utf8(env, "winrm_gssapi.acquireCredWithPassword", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, acquire_execute, acquire_complete, w, &w->work) != napi_ok ||
      napi_queue_async_work(env, w->work) != napi_ok) {
    /* The promise is left pending and unreferenced; the exception is what the caller sees. */
    if (w->work != NULL) napi_delete_async_work(env, w->work);
    goto fail;
  }
  return promise;
fail:
  free(w->principal);
  if (w->password != NULL) {
    explicit_bzero(w->password, w->password_len);
    free(w->password);
  }
  free(w);
  throw_plain(env, "acquireCredWithPassword: could not start");
  return NULL;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* initSecContext(opts) -> Promise<{ ctx, token, complete, flags, mech }>                                           */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref ctx_ref; /* keeps the context's external alive while the step runs */
  ctx_t *c;
  OM_uint32 req_flags;
  uint8_t *input;
  size_t input_len;
  int has_input;
  /* results */
  OM_uint32 major, minor, ret_flags;
  gss_OID actual_mech;
  gss_buffer_desc output;
  char message[1024];
} init_work_t;

static void init_execute(napi_env env, void *data) {
  init_work_t *w = data;
  ctx_t *c = w->c;
  OM_uint32 minor;
  if (!c->started) {
    /* "HTTP@host" is a GSS host-based service name (RFC 2743 4.1); anything with a '/' a krb5 principal name. */
    int principal = strchr(c->target_str, '/') != NULL;
    gss_buffer_desc nbuf = {strlen(c->target_str), c->target_str};
    w->major = gss_import_name(&w->minor, &nbuf, principal ? GSS_KRB5_NT_PRINCIPAL_NAME : GSS_C_NT_HOSTBASED_SERVICE,
                               &c->target);
    if (GSS_ERROR(w->major)) {
      format_status(w->message, sizeof w->message, "gss_import_name", w->major, w->minor);
      return;
    }
    if (c->use_spnego && c->cred == NULL) {
      /* Default (ccache) credentials, limited to krb5 inside SPNEGO like our password credentials. */
      w->major = gss_acquire_cred(&w->minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &MECHS_BOTH, GSS_C_INITIATE,
                                  &c->own_cred, NULL, NULL);
      if (GSS_ERROR(w->major)) {
        format_status(w->message, sizeof w->message, "gss_acquire_cred", w->major, w->minor);
        return;
      }
      w->major = limit_to_krb5(&w->minor, c->own_cred);
      if (GSS_ERROR(w->major)) {
        format_status(w->message, sizeof w->message, "gss_set_neg_mechs", w->major, w->minor);
        return;
      }
    }
    c->started = 1;
  }
  struct gss_channel_bindings_struct cb;
  if (c->has_cb) fill_bindings(&cb, c->cb, c->cb_len);
  gss_buffer_desc in = {w->input_len, w->input};
  gss_cred_id_t cred = c->cred != NULL ? c->cred->cred : c->own_cred;
  w->major = gss_init_sec_context(&w->minor, cred, &c->ctx, c->target, c->use_spnego ? &OID_SPNEGO : &OID_KRB5,
                                  w->req_flags, GSS_C_INDEFINITE, c->has_cb ? &cb : GSS_C_NO_CHANNEL_BINDINGS,
                                  w->has_input ? &in : GSS_C_NO_BUFFER, &w->actual_mech, &w->output, &w->ret_flags,
                                  NULL);
  if (GSS_ERROR(w->major)) {
    format_status(w->message, sizeof w->message, "gss_init_sec_context", w->major, w->minor);
    /* An error token may come back; the caller gets only the error. */
    gss_release_buffer(&minor, &w->output);
  }
}

static void init_complete(napi_env env, napi_status status, void *data) {
  init_work_t *w = data;
  ctx_t *c = w->c;
  OM_uint32 minor;
  napi_value ctx_val = NULL;
  c->busy = 0;
  napi_get_reference_value(env, w->ctx_ref, &ctx_val);
  if (status != napi_ok) {
    c->failed = 1;
    napi_value msg, err;
    napi_create_string_utf8(env, "initSecContext was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  } else if (GSS_ERROR(w->major)) {
    c->failed = 1;
    napi_reject_deferred(env, w->deferred, make_gss_error(env, w->message, w->major, w->minor));
  } else {
    napi_value result, token;
    c->complete = w->major == GSS_S_COMPLETE;
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "ctx", ctx_val);
    token = buffer_copy(env, w->output.value, w->output.length);
    if (token != NULL) napi_set_named_property(env, result, "token", token);
    set_bool(env, result, "complete", c->complete);
    set_u32(env, result, "flags", w->ret_flags);
    set_mech(env, result, w->actual_mech);
    napi_resolve_deferred(env, w->deferred, result);
  }
  gss_release_buffer(&minor, &w->output);
  napi_delete_reference(env, w->ctx_ref);
  napi_delete_async_work(env, w->work);
  free(w->input);
  free(w);
}

#define DEFAULT_INIT_FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)

static napi_value init_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts, v, promise, name, ctx_val = NULL;
  napi_valuetype t;
  int present;
  init_work_t *w = NULL;
  ctx_t *c = NULL;
  int fresh = 0;
  if (napi_get_cb_info(env, info, &argc, &opts, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, opts, &t) != napi_ok || t != napi_object) {
    throw_type(env, "initSecContext(options)");
    return NULL;
  }
  w = calloc(1, sizeof *w);
  if (w == NULL) {
    throw_plain(env, "out of memory");
    return NULL;
  }
  w->req_flags = DEFAULT_INIT_FLAGS;
  if (!get_opt(env, opts, "flags", &v, &present)) goto fail;
  if (present && napi_get_value_uint32(env, v, &w->req_flags) != napi_ok) {
    throw_type(env, "flags must be a number");
    goto fail;
  }
  if (!get_opt(env, opts, "input", &v, &present)) goto fail;
  if (present) {
    void *p;
    size_t len;
    if (!get_bytes(env, v, "input must be a Buffer or Uint8Array", &p, &len)) goto fail;
    w->input = malloc(len > 0 ? len : 1);
    if (w->input == NULL) {
      throw_plain(env, "out of memory");
      goto fail;
    }
    memcpy(w->input, p, len);
    w->input_len = len;
    w->has_input = 1;
  }

  if (!get_opt(env, opts, "ctx", &ctx_val, &present)) goto fail;
  if (present) {
    if (!get_ctx_usable(env, ctx_val, &c)) goto fail;
    if (c->role != ROLE_INITIATOR) {
      throw_type(env, "ctx is an acceptor context");
      goto fail;
    }
    if (c->complete) {
      throw_plain(env, "the security context is already complete");
      goto fail;
    }
  } else {
    c = calloc(1, sizeof *c);
    if (c == NULL) {
      throw_plain(env, "out of memory");
      goto fail;
    }
    c->kind = KIND_CTX;
    c->role = ROLE_INITIATOR;
    g_live++;
    fresh = 1;
    if (!get_opt(env, opts, "target", &v, &present)) goto fail;
    if (!present) {
      throw_type(env, "target is required (\"HTTP@host\" or \"HTTP/host@REALM\")");
      goto fail;
    }
    c->target_str = get_string(env, v, "target must be a string");
    if (c->target_str == NULL) goto fail;
    if (!get_opt(env, opts, "mech", &v, &present)) goto fail;
    if (present) {
      char *mech = get_string(env, v, "mech must be \"krb5\" or \"spnego\"");
      if (mech == NULL) goto fail;
      int ok = strcmp(mech, "krb5") == 0 || strcmp(mech, "spnego") == 0;
      c->use_spnego = strcmp(mech, "spnego") == 0;
      free(mech);
      if (!ok) {
        throw_type(env, "mech must be \"krb5\" or \"spnego\"");
        goto fail;
      }
    }
    if (!get_opt(env, opts, "cred", &v, &present)) goto fail;
    if (present) {
      cred_t *cred = get_handle(env, v, KIND_CRED, "cred must be a credential handle");
      if (cred == NULL) goto fail;
      if (cred->released) {
        throw_plain(env, "the credential was released");
        goto fail;
      }
      cred->refs++;
      c->cred = cred;
    }
    if (!get_opt(env, opts, "channelBindings", &v, &present)) goto fail;
    if (present) {
      void *p;
      size_t len;
      if (!get_bytes(env, v, "channelBindings must be a Buffer or Uint8Array", &p, &len)) goto fail;
      c->cb = malloc(len > 0 ? len : 1);
      if (c->cb == NULL) {
        throw_plain(env, "out of memory");
        goto fail;
      }
      memcpy(c->cb, p, len);
      c->cb_len = len;
      c->has_cb = 1;
    }
    if (napi_create_external(env, c, ctx_finalize, NULL, &ctx_val) != napi_ok) goto fail;
    fresh = 0; /* owned by the external now */
  }

  w->c = c;
  if (napi_create_reference(env, ctx_val, 1, &w->ctx_ref) != napi_ok) goto fail;
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) goto fail_ref;
  napi_create_string_utf8(env, "winrm_gssapi.initSecContext", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, init_execute, init_complete, w, &w->work) != napi_ok) goto fail_ref;
  if (napi_queue_async_work(env, w->work) != napi_ok) {
    napi_delete_async_work(env, w->work);
    goto fail_ref;
  }
  c->busy = 1;
  return promise;
fail_ref:
  napi_delete_reference(env, w->ctx_ref);
fail:
  if (fresh) ctx_finalize(env, c, NULL);
  if (w != NULL) {
    free(w->input);
    free(w);
  }
  throw_plain(env, "initSecContext: could not start");
  return NULL;
}

/* The promise-returning functions never throw: a bad argument (or any failure to start) becomes a rejection, so a
 * caller's `await` / `.catch` sees every error the same way. */
static napi_value as_promise(napi_env env, napi_value started) {
  bool pending = false;
  napi_value err, promise;
  napi_deferred deferred;
  if (started != NULL) return started;
  napi_is_exception_pending(env, &pending);
  if (!pending) return NULL;
  if (napi_get_and_clear_last_exception(env, &err) != napi_ok) return NULL;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) {
    napi_throw(env, err);
    return NULL;
  }
  napi_reject_deferred(env, deferred, err);
  return promise;
}

static napi_value js_acquire_cred_with_password(napi_env env, napi_callback_info info) {
  return as_promise(env, acquire_start(env, info));
}

static napi_value js_init_sec_context(napi_env env, napi_callback_info info) {
  return as_promise(env, init_start(env, info));
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* acceptSecContext(opts) -> { ctx, token, complete, flags, mech, spnego, initiator? }                              */

/* Whether a first context token is SPNEGO: [APPLICATION 0] { OID 1.3.6.1.5.5.2, ... } (RFC 2743 3.1). */
static int is_spnego_token(const uint8_t *p, size_t len) {
  size_t i = 0;
  if (len < 2 || p[i++] != 0x60) return 0;
  uint8_t l = p[i++];
  if (l & 0x80) {
    size_t n = l & 0x7f;
    if (n == 0 || n > 4) return 0;
    i += n;
  }
  if (i + 2 + OID_SPNEGO.length > len || p[i] != 0x06 || p[i + 1] != OID_SPNEGO.length) return 0;
  return memcmp(p + i + 2, OID_SPNEGO.elements, OID_SPNEGO.length) == 0;
}

static napi_value js_accept_sec_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts, v, ctx_val = NULL, result = NULL;
  napi_valuetype t;
  int present;
  ctx_t *c = NULL;
  void *input;
  size_t input_len;
  OM_uint32 major, minor, tmp, ret_flags = 0;
  gss_name_t src = GSS_C_NO_NAME;
  gss_OID mech = GSS_C_NO_OID;
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  if (napi_get_cb_info(env, info, &argc, &opts, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, opts, &t) != napi_ok || t != napi_object) {
    throw_type(env, "acceptSecContext(options)");
    return NULL;
  }
  if (!get_opt(env, opts, "input", &v, &present)) return NULL;
  if (!present) {
    throw_type(env, "input is required");
    return NULL;
  }
  if (!get_bytes(env, v, "input must be a Buffer or Uint8Array", &input, &input_len)) return NULL;

  if (!get_opt(env, opts, "ctx", &ctx_val, &present)) return NULL;
  if (present) {
    if (!get_ctx_usable(env, ctx_val, &c)) return NULL;
    if (c->role != ROLE_ACCEPTOR) {
      throw_type(env, "ctx is an initiator context");
      return NULL;
    }
    if (c->complete) {
      throw_plain(env, "the security context is already complete");
      return NULL;
    }
  } else {
    c = calloc(1, sizeof *c);
    if (c == NULL) {
      throw_plain(env, "out of memory");
      return NULL;
    }
    c->kind = KIND_CTX;
    c->role = ROLE_ACCEPTOR;
    g_live++;
    if (napi_create_external(env, c, ctx_finalize, NULL, &ctx_val) != napi_ok) {
      ctx_finalize(env, c, NULL);
      throw_plain(env, "acceptSecContext: could not create a context handle");
      return NULL;
    }
    if (!get_opt(env, opts, "channelBindings", &v, &present)) return NULL;
    if (present) {
      void *p;
      size_t len;
      if (!get_bytes(env, v, "channelBindings must be a Buffer or Uint8Array", &p, &len)) return NULL;
      c->cb = malloc(len > 0 ? len : 1);
      if (c->cb == NULL) {
        throw_plain(env, "out of memory");
        return NULL;
      }
      memcpy(c->cb, p, len);
      c->cb_len = len;
      c->has_cb = 1;
    }
    char *keytab = NULL;
    if (!get_opt(env, opts, "keytab", &v, &present)) return NULL;
    if (present && (keytab = get_string(env, v, "keytab must be a string (a keytab file path)")) == NULL) return NULL;
    /* Acceptor credential for any service principal in the keytab (KRB5_KTNAME, or the given file). A SPNEGO
     * element only when the initiator speaks SPNEGO: acquiring one makes MIT probe every installed mech
     * (gss-ntlmssp leaks a little on each probe). */
    c->spnego = is_spnego_token(input, input_len);
    gss_OID_set mechs = c->spnego ? &MECHS_BOTH : &MECHS_KRB5_ONLY;
    if (keytab != NULL) {
      gss_key_value_element_desc el = {"keytab", keytab};
      gss_key_value_set_desc store = {1, &el};
      major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, mechs, GSS_C_ACCEPT, &store,
                                    &c->own_cred, NULL, NULL);
      free(keytab);
    } else {
      major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, mechs, GSS_C_ACCEPT, &c->own_cred, NULL,
                               NULL);
    }
    if (GSS_ERROR(major)) {
      c->failed = 1;
      throw_gss(env, "gss_acquire_cred (acceptor)", major, minor);
      return NULL;
    }
    if (c->spnego) {
      major = limit_to_krb5(&minor, c->own_cred);
      if (GSS_ERROR(major)) {
        c->failed = 1;
        throw_gss(env, "gss_set_neg_mechs", major, minor);
        return NULL;
      }
    }
  }

  struct gss_channel_bindings_struct cb;
  if (c->has_cb) fill_bindings(&cb, c->cb, c->cb_len);
  gss_buffer_desc in = {input_len, input};
  c->started = 1;
  major = gss_accept_sec_context(&minor, &c->ctx, c->own_cred, &in, c->has_cb ? &cb : GSS_C_NO_CHANNEL_BINDINGS,
                                 &src, &mech, &out, &ret_flags, NULL, NULL);
  if (GSS_ERROR(major)) {
    char buf[1024];
    c->failed = 1;
    format_status(buf, sizeof buf, "gss_accept_sec_context", major, minor);
    napi_value err = make_gss_error(env, buf, major, minor);
    /* A reject token (SPNEGO negTokenResp reject, KRB-ERROR) the acceptor may send back. */
    if (out.length > 0 && (v = buffer_copy(env, out.value, out.length)) != NULL) napi_set_named_property(env, err, "token", v);
    napi_throw(env, err);
    goto done;
  }
  c->complete = major == GSS_S_COMPLETE;
  if (napi_create_object(env, &result) != napi_ok) goto done;
  napi_set_named_property(env, result, "ctx", ctx_val);
  if ((v = buffer_copy(env, out.value, out.length)) != NULL) napi_set_named_property(env, result, "token", v);
  set_bool(env, result, "complete", c->complete);
  set_u32(env, result, "flags", ret_flags);
  set_bool(env, result, "spnego", c->spnego);
  set_mech(env, result, mech);
  if (c->complete && src != GSS_C_NO_NAME) {
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (!GSS_ERROR(gss_display_name(&tmp, src, &text, NULL))) set_str(env, result, "initiator", text.value, text.length);
    gss_release_buffer(&tmp, &text);
  }
done:
  gss_release_buffer(&tmp, &out);
  if (src != GSS_C_NO_NAME) gss_release_name(&tmp, &src);
  return result;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* wrapIov(ctx, data, conf = true) -> { header, data, padding }                                                     */

static int get_complete_ctx(napi_env env, napi_value v, ctx_t **c) {
  if (!get_ctx_usable(env, v, c)) return 0;
  if (!(*c)->complete) {
    throw_plain(env, "the security context is not complete");
    return 0;
  }
  return 1;
}

static napi_value js_wrap_iov(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result = NULL, data_out, header, padding;
  ctx_t *c;
  void *data, *out_data = NULL;
  size_t len;
  bool conf = true;
  int conf_state = 0;
  OM_uint32 major, minor, tmp;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    throw_type(env, "wrapIov(ctx, data, conf?)");
    return NULL;
  }
  if (!get_complete_ctx(env, argv[0], &c)) return NULL;
  if (!get_bytes(env, argv[1], "data must be a Buffer or Uint8Array", &data, &len)) return NULL;
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t != napi_undefined && napi_get_value_bool(env, argv[2], &conf) != napi_ok) {
      throw_type(env, "conf must be a boolean");
      return NULL;
    }
  }
  /* Encrypt in place inside a fresh Buffer: the caller's bytes stay untouched. */
  static const uint8_t empty = 0;
  if (napi_create_buffer_copy(env, len, len > 0 ? data : &empty, &out_data, &data_out) != napi_ok) return NULL;

  /* MS-WSMV 2.2.9.1.2.2 / pyspnego wrap_winrm: HEADER | DATA | PADDING, no TRAILER buffer, so MIT puts the RFC 4121
   * trailer (encrypted header copy + checksum) into the header and sets RRC accordingly. */
  gss_iov_buffer_desc iov[3];
  memset(iov, 0, sizeof iov);
  iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER | GSS_IOV_BUFFER_FLAG_ALLOCATE;
  iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
  iov[1].buffer.length = len;
  iov[1].buffer.value = len > 0 ? out_data : NULL;
  iov[2].type = GSS_IOV_BUFFER_TYPE_PADDING | GSS_IOV_BUFFER_FLAG_ALLOCATE;
  major = gss_wrap_iov(&minor, c->ctx, conf, GSS_C_QOP_DEFAULT, &conf_state, iov, 3);
  if (major != GSS_S_COMPLETE) {
    throw_gss(env, "gss_wrap_iov", major, minor);
    goto done;
  }
  if (conf && !conf_state) {
    throw_plain(env, "gss_wrap_iov did not encrypt (the context has no confidentiality)");
    goto done;
  }
  if ((header = buffer_copy(env, iov[0].buffer.value, iov[0].buffer.length)) == NULL) goto done;
  if ((padding = buffer_copy(env, iov[2].buffer.value, iov[2].buffer.length)) == NULL) goto done;
  if (napi_create_object(env, &result) != napi_ok) goto done;
  napi_set_named_property(env, result, "header", header);
  napi_set_named_property(env, result, "data", data_out);
  napi_set_named_property(env, result, "padding", padding);
done:
  /* Frees only the buffers the library allocated (GSS_IOV_BUFFER_FLAG_ALLOCATED): header and padding. */
  gss_release_iov_buffer(&tmp, iov, 3);
  return result;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* unwrapIov(ctx, header, data) -> Buffer                                                                           */

static napi_value js_unwrap_iov(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], data_out, result = NULL;
  ctx_t *c;
  void *hdr, *data, *out_data = NULL;
  size_t hdr_len, len;
  int conf_state = 0;
  gss_qop_t qop = 0;
  OM_uint32 major, minor;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    throw_type(env, "unwrapIov(ctx, header, data)");
    return NULL;
  }
  if (!get_complete_ctx(env, argv[0], &c)) return NULL;
  if (!get_bytes(env, argv[1], "header must be a Buffer or Uint8Array", &hdr, &hdr_len)) return NULL;
  if (!get_bytes(env, argv[2], "data must be a Buffer or Uint8Array", &data, &len)) return NULL;
  /* The library may rewrite the header in place (un-rotating RRC): work on a copy. */
  uint8_t *hcopy = malloc(hdr_len > 0 ? hdr_len : 1);
  if (hcopy == NULL) {
    throw_plain(env, "out of memory");
    return NULL;
  }
  memcpy(hcopy, hdr, hdr_len);
  static const uint8_t empty = 0;
  if (napi_create_buffer_copy(env, len, len > 0 ? data : &empty, &out_data, &data_out) != napi_ok) {
    free(hcopy);
    return NULL;
  }
  gss_iov_buffer_desc iov[2];
  memset(iov, 0, sizeof iov);
  iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
  iov[0].buffer.length = hdr_len;
  iov[0].buffer.value = hcopy;
  iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
  iov[1].buffer.length = len;
  iov[1].buffer.value = len > 0 ? out_data : NULL;
  major = gss_unwrap_iov(&minor, c->ctx, &conf_state, &qop, iov, 2);
  explicit_bzero(hcopy, hdr_len);
  free(hcopy);
  /* Anything but GSS_S_COMPLETE is refused, including the supplementary DUPLICATE/OLD/UNSEQ/GAP bits: WinRM
   * messages on one connection are strictly in order, so a replayed or reordered token is an attack or a bug. */
  if (major != GSS_S_COMPLETE) {
    throw_gss(env, "gss_unwrap_iov", major, minor);
    return NULL;
  }
  /* WinRM requires encryption (MS-WSMV 2.2.9.1): a signed-only token is refused rather than taken as plaintext. */
  if (!conf_state) {
    throw_plain(env, "gss_unwrap_iov: the message was not encrypted");
    return NULL;
  }
  /* With EC 0 the plaintext is exactly as long as the data; a token with EC filler would leave it at the end. */
  if (iov[1].buffer.length != len) {
    napi_value sliced;
    if (napi_create_buffer_copy(env, iov[1].buffer.length, iov[1].buffer.length > 0 ? iov[1].buffer.value : &empty,
                                NULL, &sliced) != napi_ok)
      return NULL;
    return sliced;
  }
  result = data_out;
  return result;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* release(handle), displayStatus(major, minor), liveHandles()                                                      */

static napi_value js_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_valuetype t;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, arg, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, arg, &p) != napi_ok || p == NULL) {
    throw_type(env, "release(handle): not a handle");
    return NULL;
  }
  if (*(uint32_t *)p == KIND_CTX) {
    ctx_t *c = p;
    if (c->busy) {
      throw_plain(env, "the security context is busy (a step is still running)");
      return NULL;
    }
    c->released = 1;
    ctx_release_gss(c);
  } else if (*(uint32_t *)p == KIND_CRED) {
    cred_t *c = p;
    c->released = 1;
    /* Contexts still using it keep it (refs > 1); it goes with the last of them. */
    if (c->refs == 1) cred_release_gss(c);
  } else {
    throw_type(env, "release(handle): not a handle");
  }
  return NULL;
}

static napi_value js_display_status(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  uint32_t major = 0, minor = 0;
  char buf[1024];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &major) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &minor) != napi_ok) {
    throw_type(env, "displayStatus(major, minor)");
    return NULL;
  }
  buf[0] = '\0';
  append_display(buf, sizeof buf, major, GSS_C_GSS_CODE);
  if (minor != 0) append_display(buf, sizeof buf, minor, GSS_C_MECH_CODE);
  /* Drop the leading ": " of the first part. */
  const char *text = strncmp(buf, ": ", 2) == 0 ? buf + 2 : buf;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value js_live_handles(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_create_int64(env, g_live, &out);
  return out;
}

/* ---------------------------------------------------------------------------------------------------------------- */

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value flags;
  MECHS_BOTH_ELEMS[0] = OID_KRB5;
  MECHS_BOTH_ELEMS[1] = OID_SPNEGO;
  export_fn(env, exports, "acquireCredWithPassword", js_acquire_cred_with_password);
  export_fn(env, exports, "initSecContext", js_init_sec_context);
  export_fn(env, exports, "acceptSecContext", js_accept_sec_context);
  export_fn(env, exports, "wrapIov", js_wrap_iov);
  export_fn(env, exports, "unwrapIov", js_unwrap_iov);
  export_fn(env, exports, "release", js_release);
  export_fn(env, exports, "displayStatus", js_display_status);
  export_fn(env, exports, "liveHandles", js_live_handles);
  napi_create_object(env, &flags);
  set_u32(env, flags, "DELEG", GSS_C_DELEG_FLAG);
  set_u32(env, flags, "MUTUAL", GSS_C_MUTUAL_FLAG);
  set_u32(env, flags, "REPLAY", GSS_C_REPLAY_FLAG);
  set_u32(env, flags, "SEQUENCE", GSS_C_SEQUENCE_FLAG);
  set_u32(env, flags, "CONF", GSS_C_CONF_FLAG);
  set_u32(env, flags, "INTEG", GSS_C_INTEG_FLAG);
  set_u32(env, flags, "ANON", GSS_C_ANON_FLAG);
  set_u32(env, flags, "PROT_READY", GSS_C_PROT_READY_FLAG);
  set_u32(env, flags, "TRANS", GSS_C_TRANS_FLAG);
  set_u32(env, flags, "CHANNEL_BOUND", GSS_C_CHANNEL_BOUND_FLAG);
  set_u32(env, flags, "DELEG_POLICY", GSS_C_DELEG_POLICY_FLAG);
  napi_set_named_property(env, exports, "flags", flags);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
