/**
 * HTTP Basic (RFC 7617) for WinRM: local accounts only, and never over plain HTTP without the caller's explicit
 * consent (WinRM cannot seal Basic; the policy check lives in the transport). The "token" handed to the HTTP layer is
 * the raw `user:password` in UTF-8; the HTTP layer base64-encodes it like every other token.
 */
import { AuthenticationError, ConfigurationError } from "../errors.js";
import type { AuthMechanism, Credentials, MessageSealer, StepInput } from "./mechanism.js";

export class BasicMechanism implements AuthMechanism {
  readonly name = "basic" as const;
  readonly scheme = "Basic";
  readonly canSeal = false;
  private sent = false;

  constructor(private readonly opts: { credentials: Credentials }) {
    // RFC 7617 2: the user-id cannot contain a colon (the first colon separates it from the password).
    if (opts.credentials.username.includes(":")) {
      throw new ConfigurationError("username", "a Basic authentication user name cannot contain ':'");
    }
  }

  get complete(): boolean {
    return this.sent;
  }

  get stage(): string {
    return this.sent ? "complete" : "credentials";
  }

  async step(_input: StepInput): Promise<Uint8Array | undefined> {
    if (this.sent) return undefined;
    this.sent = true;
    const { username, password, domain } = this.opts.credentials;
    // An explicit domain is written the way WinRM accepts it for Basic: DOMAIN\user (local accounts use no domain).
    const user = domain && !username.includes("\\") && !username.includes("@") ? `${domain}\\${username}` : username;
    return Buffer.from(`${user}:${password}`, "utf8");
  }

  sealer(): MessageSealer {
    throw new AuthenticationError("Basic", this.stage, "Basic authentication cannot seal messages; use HTTPS or NTLM/Negotiate");
  }

  fresh(): BasicMechanism {
    return new BasicMechanism(this.opts);
  }
}
