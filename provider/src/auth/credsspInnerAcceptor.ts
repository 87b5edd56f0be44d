/**
 * The emulated host's side of CredSSP's inner authentication (MS-CSSP 3.1.5; the initiator is auth/credsspInner.ts):
 * the first negoTokens token picks the mechanism as Windows' Negotiate package does: an NTLMSSP message (MS-NLMP 2.2,
 * raw, as requests-credssp and pyspnego send NTLM) goes to NtlmAcceptor, any other GSS token (SPNEGO with krb5, or a
 * raw krb5 AP-REQ) to KerberosAcceptor with the host's keytab, like the host's Negotiate path. No channel bindings
 * inside (CredSSP binds the channel with pubKeyAuth). pubKeyAuth and authInfo are unwrapped and the answer wrapped with
 * the inner context (auth/credsspInner.ts: NTLM signature + sealed bytes, or an RFC 4121 Wrap token).
 */
import { AuthenticationError } from "../errors.js";
import { splitKerberosWrapToken } from "./credsspInner.js";
import { KerberosAcceptor } from "./kerberos/kerberosAcceptor.js";
import type { MessageSealer } from "./mechanism.js";
import { NtlmAcceptor, type NtlmAcceptorOptions } from "./ntlmAcceptor.js";

export interface CredSSPInnerAcceptorOptions {
  readonly ntlm: NtlmAcceptorOptions;
  /** The host's keytab: Kerberos is accepted inside CredSSP only with one. */
  readonly keytab?: string | undefined;
}

export interface InnerAcceptStep {
  /** The token for the reply's negoTokens (empty: none). */
  readonly token: Buffer;
  readonly complete: boolean;
}

const NTLMSSP_SIGNATURE = Buffer.from("NTLMSSP\0", "latin1");

/** An NTLMSSP message (MS-NLMP 2.2: signature "NTLMSSP\0"), as opposed to a GSS (Kerberos / SPNEGO) token. */
export function isNtlmssp(token: Uint8Array): boolean {
  return token.length >= 8 && NTLMSSP_SIGNATURE.equals(Buffer.from(token.subarray(0, 8)));
}

/** One inner context of one CredSSP context; the mechanism is fixed by its first token. */
export class CredSSPInnerAcceptor {
  private ntlm: NtlmAcceptor | undefined;
  private krb: KerberosAcceptor | undefined;
  private krbUser: string | undefined;
  private krbComplete = false;

  constructor(private readonly opts: CredSSPInnerAcceptorOptions) {}

  /** "kerberos" or "ntlm" once the first token came; undefined before. */
  get mechanism(): "kerberos" | "ntlm" | undefined {
    return this.krb !== undefined ? "kerberos" : this.ntlm !== undefined ? "ntlm" : undefined;
  }

  get complete(): boolean {
    return this.krb !== undefined ? this.krbComplete : (this.ntlm?.complete ?? false);
  }

  /** The authenticated user: "DOMAIN\\user" (NTLM) or "user@REALM" (Kerberos), once complete. */
  get user(): string | undefined {
    return this.krb !== undefined ? this.krbUser : this.ntlm?.user;
  }

  step(token: Uint8Array): InnerAcceptStep {
    if (this.mechanism === undefined) {
      if (isNtlmssp(token)) {
        this.ntlm = new NtlmAcceptor(this.opts.ntlm);
      } else {
        if (this.opts.keytab === undefined) {
          throw new AuthenticationError("CredSSP", "negoTokens", "a Kerberos/SPNEGO token, but this host has no keytab (it accepts only NTLM inside CredSSP)");
        }
        // The scheme only names the protocol string of WinRM sealing, which CredSSP's inner context never does.
        this.krb = new KerberosAcceptor({ keytab: this.opts.keytab, scheme: "Negotiate", cbtHardening: "None" });
      }
    }
    if (this.krb !== undefined) {
      if (this.krbComplete) throw new AuthenticationError("CredSSP", "negoTokens", "a Kerberos token after the context completed");
      const r = this.krb.step(token);
      if (r.complete) {
        this.krbComplete = true;
        this.krbUser = r.user;
      }
      return { token: r.token, complete: r.complete };
    }
    const r = this.ntlm!.step(token);
    return { token: r.token ?? Buffer.alloc(0), complete: r.complete };
  }

  /** GSS_UnwrapEx of a pubKeyAuth / authInfo. */
  unwrap(token: Uint8Array): Buffer {
    const sealer = this.sealer();
    if (this.krb !== undefined) {
      const { header, data } = splitKerberosWrapToken(token);
      return Buffer.from(sealer.unwrap(header, data));
    }
    if (token.length < 16) throw new AuthenticationError("CredSSP", "pubKeyAuth", "an NTLM wrap token shorter than its signature");
    return Buffer.from(sealer.unwrap(token.subarray(0, 16), token.subarray(16)));
  }

  /** GSS_WrapEx as one byte string. */
  wrap(plaintext: Uint8Array): Buffer {
    const { header, data } = this.sealer().wrap(plaintext);
    return Buffer.concat([header, data]);
  }

  private sealer(): MessageSealer {
    if (!this.complete) throw new AuthenticationError("CredSSP", "pubKeyAuth", "the inner context is not complete");
    return this.krb !== undefined ? this.krb.sealer() : this.ntlm!.sealer();
  }

  dispose(): void {
    this.krb?.dispose();
  }
}
