/**
 * Negotiate as Windows' Negotiate security package does it (MS-SPNG 1.3, MS-NEGOEX aside): Kerberos when a ticket can
 * be had, NTLM otherwise, both under the HTTP scheme "Negotiate" (RFC 4559).
 *
 * - Kerberos first, in SPNEGO (RFC 4178; MS-WSMV 2.2.9.1.1: protocol application/HTTP-SPNEGO-session-encrypted).
 * - NTLM (raw NTLMSSP under Negotiate, as every WinRM client sends it: RFC 4559 4) when Kerberos fails BEFORE any
 *   token was sent: no ticket and no password, the KDC unreachable, the SPN or the user unknown to it, no GSSAPI
 *   addon, or an endpoint given as an IP address without an explicit SPN (no SPN names an address, so Windows uses
 *   NTLM there too).
 * - No fallback once a Kerberos token has left, nor for a wrong password (Preauthentication failed): the server or the
 *   KDC said no, and trying NTLM would hide that and count twice against the account's lockout threshold.
 * The choice is made per context (per connection) and visible in `negotiated` (PathEvent target-auth, `winrm-proxy
 * probe`). Like Windows' Negotiate package (which caches a failed KDC lookup instead of paying the KDC timeout on every
 * logon), a client remembers for a bounded time (KerberosAvailability, default 5 minutes) that Kerberos could not start
 * for a reason that will not change soon (no ticket, unknown SPN or user, no KDC reachable, no realm, no addon): its
 * later connections go straight to NTLM. Only failures before any token left are remembered; a success forgets.
 */
import { AuthenticationError } from "../errors.js";
import { kerberosUnavailableReason } from "./kerberos/kerberosMechanism.js";
import type { AuthMechanism, MechanismName, MessageSealer, NegotiateChoice, StepInput } from "./mechanism.js";

/** How long a client remembers that Kerberos could not start (Windows' negative KDC cache is of this order). */
export const KERBEROS_UNAVAILABLE_TTL_MS = 5 * 60 * 1000;

/**
 * Per client (shared by a Negotiate prototype and every `fresh()` copy): why Kerberos could not start, until when.
 * Written only with a kerberosUnavailableReason (a failure before any token left); cleared by a Kerberos success.
 */
export class KerberosAvailability {
  private remembered: { reason: string; until: number } | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? KERBEROS_UNAVAILABLE_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** The remembered reason while it is still fresh, else undefined (and forgotten). */
  unavailable(): string | undefined {
    if (this.remembered === undefined) return undefined;
    if (this.now() >= this.remembered.until) {
      this.remembered = undefined;
      return undefined;
    }
    return this.remembered.reason;
  }

  remember(reason: string): void {
    this.remembered = { reason, until: this.now() + this.ttlMs };
  }

  forget(): void {
    this.remembered = undefined;
  }

  /** "5 minutes", for the reason text. */
  get ttlText(): string {
    return this.ttlMs >= 60_000 ? `${Math.round(this.ttlMs / 60_000)} minute(s)` : `${Math.ceil(this.ttlMs / 1000)} second(s)`;
  }
}

export interface NegotiateMechanismOptions {
  /**
   * The Kerberos prototype (a KerberosMechanism with scheme "Negotiate"; tests may inject another); undefined when
   * Kerberos is out of the question (`skipReason`).
   */
  readonly kerberos: AuthMechanism | undefined;
  /** Why Kerberos is not tried at all, when `kerberos` is undefined. */
  readonly skipReason?: string;
  /** Makes a fresh NTLM context; undefined when NTLM is impossible (no password given: ticket cache only). */
  readonly ntlm: (() => AuthMechanism) | undefined;
  /** Shared by the prototype and its fresh() copies; default a new one (5 minutes, Date.now). */
  readonly availability?: KerberosAvailability;
}

export class NegotiateMechanism implements AuthMechanism {
  readonly canSeal = true;
  private inner: AuthMechanism | undefined;
  private choice: NegotiateChoice | undefined;
  private readonly availability: KerberosAvailability;
  /** null until read (rememberedUnavailable). */
  private remembered: string | undefined | null = null;

  constructor(private readonly opts: NegotiateMechanismOptions) {
    this.availability = opts.availability ?? new KerberosAvailability();
  }

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

  /** Kerberos is tried first, and its AP-REQ carries the bindings (unless this client remembers it impossible). */
  get bindsChannelInFirstToken(): boolean {
    return this.opts.kerberos !== undefined && this.rememberedUnavailable() === undefined;
  }

  /**
   * Why Kerberos is skipped on this context because an earlier connection found it impossible; read once per context,
   * so bindsChannelInFirstToken and step agree even if the memory expires in between. Only with an NTLM fallback:
   * without one, skipping Kerberos would only turn a retry (after a kinit, say) into a certain failure.
   */
  private rememberedUnavailable(): string | undefined {
    if (this.remembered === null) {
      this.remembered =
        this.opts.kerberos !== undefined && this.opts.ntlm !== undefined ? this.availability.unavailable() : undefined;
    }
    return this.remembered;
  }

  get negotiated(): NegotiateChoice | undefined {
    return this.choice;
  }

  async step(input: StepInput): Promise<Uint8Array | undefined> {
    if (this.inner !== undefined) return this.inner.step(input);
    let why = this.opts.skipReason ?? "Kerberos is not configured";
    let cause: unknown;
    const remembered = this.rememberedUnavailable();
    if (remembered !== undefined) {
      // An earlier connection of this client found Kerberos impossible: do not pay the KDC (or its timeout) again.
      why = `${remembered} (remembered from an earlier connection; Kerberos is tried again after at most ${this.availability.ttlText})`;
    } else if (this.opts.kerberos !== undefined) {
      const krb = this.opts.kerberos.fresh();
      try {
        const token = await krb.step(input);
        this.inner = krb;
        this.availability.forget();
        this.choice = { chose: "kerberos", reason: "a Kerberos service ticket was obtained" };
        return token;
      } catch (err) {
        krb.dispose?.();
        // Only failures before any token left qualify (kerberosUnavailableReason); those are also the ones that will
        // not change within minutes. Anything else is thrown and never remembered.
        const unavailable = kerberosUnavailableReason(err);
        if (unavailable === undefined) throw err;
        if (this.opts.ntlm !== undefined) this.availability.remember(unavailable);
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
    return new NegotiateMechanism({ ...this.opts, availability: this.availability });
  }

  dispose(): void {
    this.inner?.dispose?.();
  }
}
