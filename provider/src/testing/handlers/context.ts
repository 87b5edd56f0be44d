/** What the SOAP handlers (identify, shell, transfer) see of the emulated host and its listener. */
import type { WinRMConfigStore } from "../host/configStore.js";
import type { HostProfile } from "../host/profiles.js";
import type { CommandHost, ShellService } from "../shellService.js";

/** What the server needs of the emulated host: structurally the EmulatedHost of host/host.ts. */
export interface EmulatorHost extends CommandHost {
  readonly profile: HostProfile;
  readonly computerName: string;
  readonly oemCodePage: number;
  readonly config: WinRMConfigStore;
  /** NetBIOS domain of the host's accounts (EmulatedHost: the computer name on a workgroup host). */
  readonly domain?: string;
}

export interface HandlerContext {
  readonly host: EmulatorHost;
  readonly shells: ShellService;
  /** The listener's URL (a shell's wsa:Address). */
  readonly url: string;
  /** Whether the listener is HTTPS (Identify's security profiles). */
  readonly tls: boolean;
  /** Test cap on any OperationTimeout (scenario.maxOperationTimeoutMs). */
  readonly maxOperationTimeoutMs?: number;
  /** Write p:ActivityId in every response header, as some Windows hosts do (activityId.ts). */
  readonly activityIds?: boolean;
}
