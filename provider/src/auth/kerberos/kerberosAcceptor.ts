/**
 * The emulated host's Kerberos acceptor: one GSS acceptor context per TCP connection (MS-WSMV 2.2.9.1), over the
 * native addon (provider/src/auth/kerberos/gssapi.ts) with the host's keytab (the realm from KRB5_CONFIG).
 *
 * - Takes the raw krb5 token (`Authorization: Kerberos`, or under `Negotiate` as pywinrm sends it) and SPNEGO
 *   (`Negotiate`, as Windows sends it); the reply token (AP-REP, or the SPNEGO negTokenResp around it) is in the same
 *   form, and rides on the 200 (`WWW-Authenticate: <scheme> <token>`).
 * - Channel bindings over HTTPS per Service/Auth/CbtHardeningLevel (winrm/config/service/auth, provider/src/testing/host/configStore.ts, Extended Protection): None
 *   ignores them; Relaxed refuses a mismatch but accepts a client that sent none (MIT's gss_accept_sec_context does
 *   exactly that); Strict also requires them (GSS_C_CHANNEL_BOUND_FLAG).
 * - Seals replies with gss_wrap_iov as the acceptor (RFC 4121 flags 0x07, key usage 22), protocol string per scheme:
 *   application/HTTP-Kerberos-session-encrypted for `Kerberos`, application/HTTP-SPNEGO-session-encrypted for
 *   `Negotiate` (MS-WSMV 2.2.9.1.1.1, 2.2.9.1.2.1).
 */
import {
  type ContextHandle,
  GSS_FLAGS,
  type GssapiAddon,
  isGssError,
  loadGssapi,
} from "./gssapi.js";
import { KERBEROS_ENCRYPTED_PROTOCOL, SPNEGO_ENCRYPTED_PROTOCOL } from "./kerberosMechanism.js";
import type { ChannelBindings, MessageSealer } from "../mechanism.js";
import { gssIovSealer } from "./iovSealer.js";
import { AuthenticationError } from "../../errors.js";

export interface KerberosAcceptorOptions {
  /** Keytab path with the host's HTTP/<name> keys. */
  keytab: string;
  /** The HTTP scheme the client used: decides the protocol string of the sealed messages. */
  scheme: "Negotiate" | "Kerberos";
  /** The listener's tls-server-end-point bindings (HTTPS only). */
  channelBindings?: ChannelBindings | undefined;
  cbtHardening?: "None" | "Relaxed" | "Strict";
}

export interface KerberosStep {
  /** AP-REP / negTokenResp to send back (on the 200 once complete). */
  token: Buffer;
  complete: boolean;
  /** "user@REALM", once complete. */
  user?: string;
  /** The client spoke SPNEGO. */
  spnego: boolean;
  /** The context is bound to the TLS channel (GSS_C_CHANNEL_BOUND_FLAG). */
  channelBound: boolean;
  /** The context's GSS_FLAGS as gss_accept_sec_context returned them (RFC 2744 5.1 ret_flags). */
  flags: number;
  /**
   * The initiator forwarded its TGT (GSS_C_DELEG_FLAG in ret_flags: MIT sets it only when the AP-REQ's authenticator
   * carried a KRB-CRED, RFC 4121 4.1.1, i.e. the client asked for delegation and its TGT was forwardable).
   */
  delegated: boolean;
}

export class KerberosAcceptor {
  private readonly g: GssapiAddon;
  private ctx: ContextHandle | undefined;
  private done = false;

  constructor(private readonly opts: KerberosAcceptorOptions) {
    this.g = loadGssapi("keytab");
  }

  get scheme(): "Negotiate" | "Kerberos" {
    return this.opts.scheme;
  }

  /** One accept step; AuthenticationError when the token is refused (bad ticket, wrong key, CBT mismatch...). */
  step(token: Uint8Array): KerberosStep {
    const hardening = this.opts.cbtHardening ?? "Relaxed";
    const cb = hardening !== "None" ? this.opts.channelBindings : undefined;
    let r;
    try {
      r = this.g.acceptSecContext({
        input: token,
        ...(this.ctx !== undefined ? { ctx: this.ctx } : { keytab: this.opts.keytab }),
        ...(this.ctx === undefined && cb !== undefined ? { channelBindings: cb.applicationData } : {}),
      });
    } catch (e) {
      const why = isGssError(e)
        ? e.code === "GSS_S_BAD_BINDINGS"
          ? "channel binding mismatch (GSS_S_BAD_BINDINGS)"
          : `${e.code}: ${e.message}`
        : e instanceof Error
          ? e.message
          : String(e);
      throw new AuthenticationError("kerberos", "AP-REQ", why, { cause: e });
    }
    this.ctx = r.ctx;
    const channelBound = (r.flags & GSS_FLAGS.CHANNEL_BOUND) !== 0;
    if (r.complete) {
      if (hardening === "Strict" && cb !== undefined && !channelBound) {
        this.dispose();
        throw new AuthenticationError(
          "kerberos",
          "AP-REQ",
          "the client sent no channel bindings and CbtHardeningLevel is Strict",
        );
      }
      if ((r.flags & GSS_FLAGS.CONF) === 0) {
        this.dispose();
        throw new AuthenticationError("kerberos", "AP-REQ", "the context cannot encrypt (no GSS_C_CONF_FLAG)");
      }
      this.done = true;
    }
    return {
      token: r.token,
      complete: r.complete,
      spnego: r.spnego,
      channelBound,
      flags: r.flags,
      delegated: (r.flags & GSS_FLAGS.DELEG) !== 0,
      ...(r.initiator !== undefined ? { user: r.initiator } : {}),
    };
  }

  sealer(): MessageSealer {
    const ctx = this.ctx;
    if (!this.done || ctx === undefined) throw new Error("the Kerberos context is not complete");
    return gssIovSealer(this.g, ctx, this.opts.scheme === "Kerberos" ? KERBEROS_ENCRYPTED_PROTOCOL : SPNEGO_ENCRYPTED_PROTOCOL);
  }

  dispose(): void {
    if (this.ctx === undefined) return;
    try {
      this.g.release(this.ctx);
    } catch {
      // the finalizer takes it
    }
    this.ctx = undefined;
    this.done = false;
  }
}
