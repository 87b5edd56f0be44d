/**
 * Negotiate as Windows' Negotiate security package does it (MS-SPNG 1.3, MS-NEGOEX aside): Kerberos when a ticket can
 * be had, NTLM otherwise, both under the HTTP scheme "Negotiate" (RFC 4559).
 *
 * - Kerberos first, in SPNEGO (RFC 4178; MS-WSMV 2.2.9.1.1: protocol application/HTTP-SPNEGO-session-encrypted).
 * - NTLM (raw NTLMSSP under Negotiate, as every WinRM client sends it: protocol.md 2.2) when Kerberos fails BEFORE any
 *   token was sent: no ticket and no password, the KDC unreachable, the SPN or the user unknown to it, no GSSAPI
 *   addon, or an endpoint given as an IP address without an explicit SPN (no SPN names an address, so Windows uses
 *   NTLM there too).
 * - No fallback once a Kerberos token has left, nor for a wrong password (Preauthentication failed): the server or the
 *   KDC said no, and trying NTLM would hide that and count twice against the account's lockout threshold.
 * The choice is per context (per connection) and visible in `negotiated` (PathEvent target-auth, `winrm-proxy probe`).
 */
import { AuthenticationError } from "../errors.js";
import { KerberosMechanism, kerberosUnavailableReason } from "./kerberos/kerberosMechanism.js";
import type { AuthMechanism, MechanismName, MessageSealer, NegotiateChoice, StepInput } from "./mechanism.js";

export interface NegotiateMechanismOptions {
  /** The Kerberos prototype (scheme "Negotiate"); undefined when Kerberos is out of the question (`skipReason`). */
  readonly kerberos: KerberosMechanism | undefined;
  /** Why Kerberos is not tried at all, when `kerberos` is undefined. */
  readonly skipReason?: string;
  /** Makes a fresh NTLM context; undefined when NTLM is impossible (no password given: ticket cache only). */
  readonly ntlm: (() => AuthMechanism) | undefined;
}

export class NegotiateMechanism implements AuthMechanism {
  readonly canSeal = true;
  private inner: AuthMechanism | undefined;
  private choice: NegotiateChoice | undefined;

  constructor(private readonly opts: NegotiateMechanismOptions) {}

  /**
   * "Negotiate"; after a fallback the NTLM context's own scheme (a proxy may take NTLM under "NTLM" only: squid with
   * a Kerberos-only Negotiate helper).
   */
  get scheme(): string {
    return this.inner?.scheme ?? "Negotiate";
  }

  /** "negotiate" until the first step, then the mechanism in use ("kerberos" or "ntlm"). */
  get name(): MechanismName {
    return this.inner?.name ?? "negotiate";
  }

  get complete(): boolean {
    return this.inner?.complete ?? false;
  }

  get stage(): string {
    return this.inner?.stage ?? "start";
  }

  /** Kerberos is tried first, and its AP-REQ carries the bindings. */
  get bindsChannelInFirstToken(): boolean {
    return this.opts.kerberos !== undefined;
  }

  get negotiated(): NegotiateChoice | undefined {
    return this.choice;
  }

  async step(input: StepInput): Promise<Uint8Array | undefined> {
    if (this.inner !== undefined) return this.inner.step(input);
    let why = this.opts.skipReason ?? "Kerberos is not configured";
    let cause: unknown;
    if (this.opts.kerberos !== undefined) {
      const krb = this.opts.kerberos.fresh();
      try {
        const token = await krb.step(input);
        this.inner = krb;
        this.choice = { chose: "kerberos", reason: "a Kerberos service ticket was obtained" };
        return token;
      } catch (err) {
        krb.dispose();
        const unavailable = kerberosUnavailableReason(err);
        if (unavailable === undefined) throw err;
        why = unavailable;
        cause = err;
      }
    }
    if (this.opts.ntlm === undefined) {
      const detail = cause instanceof Error ? `: ${cause.message}` : "";
      throw new AuthenticationError(
        "negotiate",
        "start",
        `Kerberos is not possible (${why}${detail}) and NTLM needs a password, but none was given`,
        { cause },
      );
    }
    const ntlm = this.opts.ntlm();
    this.inner = ntlm;
    this.choice = { chose: "ntlm", reason: `Kerberos was not possible: ${why}` };
    return ntlm.step(input);
  }

  sealer(): MessageSealer {
    if (this.inner === undefined) throw new AuthenticationError("negotiate", "start", "no context has been negotiated yet");
    return this.inner.sealer();
  }

  fresh(): NegotiateMechanism {
    return new NegotiateMechanism(this.opts);
  }

  dispose(): void {
    this.inner?.dispose?.();
  }
}
