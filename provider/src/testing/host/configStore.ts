/**
 * The WinRM service configuration of an emulated host: what `winrm get|set winrm/config/...` shows and changes, and
 * what WS-Transfer Get/Put on the config resources read and write (MS-WSMV 4.2.1; MS-WSMV 3.1.4.1.29.1; `winrm help config`; MS-WSMV 4.2.1).
 *
 * Defaults follow MS-WSMV 4.2.1 for WinRM 3.0. Values that differ on older stacks:
 * - MaxEnvelopeSizekb 150 on WinRM 1.1 / 2.0 (MS-WSMV 4.2.1; 500 from 3.0).
 * - 1.1 has no CredSSP, no CbtHardeningLevel, no IPv4Filter/IPv6Filter, no compatibility listeners
 *   (provider/src/testing/host/profiles.ts); client and service Basic default false on 1.1.
 * - The throttling values of 1.1 / 2.0 (MaxConcurrentOperationsPerUser, MaxConnections, Winrs quotas) are the values
 *   seen in public 2008 R2 output; unconfirmed: the 1.1 values were not found and reuse the 2.0 ones.
 * Key names are matched case-insensitively (the winrm tool accepts any case) and stored with Windows' spelling.
 */

import type { ConfigTree } from "../../wsman/config.js";
import type { HostProfile } from "./profiles.js";

export type { ConfigTree };

/** 0x80338000: the resource URI / selectors name nothing (MS-WSMV 2.2.4.43). */
export const WSMAN_RESOURCE_NOT_FOUND = 2150858752;
/** 0x80338041: seen with w:SchemaValidationError (MS-WSMV 2.2.4.43); used for unknown keys and invalid values. */
export const WSMAN_SCHEMA_VALIDATION = 2150858817;

/** A refused configuration change or an unknown resource, with the WS-Man error code Windows reports. */
export class WinRMConfigError extends Error {
  readonly wsmanCode: number;
  readonly kind: "unknownPath" | "unknownKey" | "badValue";
  constructor(kind: "unknownPath" | "unknownKey" | "badValue", wsmanCode: number, message: string) {
    super(message);
    this.name = "WinRMConfigError";
    this.kind = kind;
    this.wsmanCode = wsmanCode;
  }
}

type LeafKind = "bool" | "uint" | "cbt" | "string";

const CONFIG_URI_PREFIX = "http://schemas.microsoft.com/wbem/wsman/1/config";

function defaults(p: HostProfile): ConfigTree {
  const v11 = p.stack === "1.1";
  const v3 = p.stack === "3.0";
  const clientAuth: ConfigTree = {
    Basic: v11 ? "false" : "true",
    Digest: "true",
    Kerberos: "true",
    Negotiate: "true",
    Certificate: "true",
  };
  if (p.supportsCredSSP) clientAuth.CredSSP = "false";
  const serviceAuth: ConfigTree = {
    Basic: "false",
    Kerberos: "true",
    Negotiate: "true",
    Certificate: "false",
  };
  if (p.supportsCredSSP) serviceAuth.CredSSP = "false";
  if (p.supportsCbtHardening) serviceAuth.CbtHardeningLevel = "Relaxed";
  const ports = (): ConfigTree => ({ HTTP: String(p.defaultPorts.http), HTTPS: String(p.defaultPorts.https) });

  const service: ConfigTree = {
    // 2012+ adds (A;;GR;;;IU) (MS-WSMV 4.2.1); older hosts have the plain Administrators-only SDDL.
    RootSDDL: v3
      ? "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"
      : "O:NSG:BAD:P(A;;GA;;;BA)S:P(AU;FA;GA;;;WD)(AU;SA;GWGX;;;WD)",
    MaxConcurrentOperations: "4294967295",
    MaxConcurrentOperationsPerUser: v3 ? "1500" : "200",
    EnumerationTimeoutms: v3 ? "240000" : "60000",
    MaxConnections: v3 ? "300" : "25",
    MaxPacketRetrievalTimeSeconds: "120",
    AllowUnencrypted: "false",
    Auth: serviceAuth,
    DefaultPorts: ports(),
  };
  if (!v11) {
    service.IPv4Filter = "*";
    service.IPv6Filter = "*";
    service.EnableCompatibilityHttpListener = "false";
    service.EnableCompatibilityHttpsListener = "false";
  }
  service.CertificateThumbprint = "";
  if (v3) service.AllowRemoteAccess = "true";

  const winrs: ConfigTree = v3
    ? {
        AllowRemoteShellAccess: "true",
        IdleTimeout: "7200000",
        MaxConcurrentUsers: "2147483647",
        MaxShellRunTime: "2147483647",
        MaxProcessesPerShell: "2147483647",
        MaxMemoryPerShellMB: "2147483647",
        MaxShellsPerUser: "2147483647",
      }
    : {
        AllowRemoteShellAccess: "true",
        IdleTimeout: "180000",
        MaxConcurrentUsers: "5",
        MaxShellRunTime: "28800000",
        MaxProcessesPerShell: "15",
        MaxMemoryPerShellMB: "150",
        MaxShellsPerUser: "5",
      };

  return {
    MaxEnvelopeSizekb: String(p.maxEnvelopeSizekb),
    MaxTimeoutms: "60000",
    MaxBatchItems: v11 ? "20000" : "32000",
    MaxProviderRequests: v11 ? "25" : "4294967295",
    Client: {
      NetworkDelayms: "5000",
      URLPrefix: "wsman",
      AllowUnencrypted: "false",
      Auth: clientAuth,
      DefaultPorts: ports(),
      TrustedHosts: "",
    },
    Service: service,
    Winrs: winrs,
  };
}

function kindOf(key: string, defaultValue: string): LeafKind {
  if (key === "CbtHardeningLevel") return "cbt";
  if (defaultValue === "true" || defaultValue === "false") return "bool";
  if (/^\d+$/.test(defaultValue)) return "uint";
  return "string";
}

function deepCopy(t: ConfigTree): ConfigTree {
  const out: ConfigTree = {};
  for (const [k, v] of Object.entries(t)) out[k] = typeof v === "string" ? v : deepCopy(v);
  return out;
}

function findKey(t: ConfigTree, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(t).find((k) => k.toLowerCase() === lower);
}

export interface ServiceAuthState {
  basic: boolean;
  kerberos: boolean;
  negotiate: boolean;
  certificate: boolean;
  credSSP: boolean;
  cbtHardeningLevel: "None" | "Relaxed" | "Strict";
}

export class WinRMConfigStore {
  readonly profile: HostProfile;
  private readonly root: ConfigTree;
  /** Leaf kinds by lower-case dotted path ("service.auth.basic"), fixed at construction from the defaults. */
  private readonly kinds = new Map<string, LeafKind>();
  private readonly listenerList: ConfigTree[];
  /** Called after each applied WS-Transfer Put (the host's activity report). */
  private readonly afterPut: ((path: string) => void) | undefined;

  constructor(profile: HostProfile, afterPut?: (path: string) => void) {
    this.profile = profile;
    this.afterPut = afterPut;
    this.root = defaults(profile);
    const walk = (t: ConfigTree, prefix: string): void => {
      for (const [k, v] of Object.entries(t)) {
        const path = prefix ? `${prefix}.${k.toLowerCase()}` : k.toLowerCase();
        if (typeof v === "string") this.kinds.set(path, kindOf(k, v));
        else walk(v, path);
      }
    };
    walk(this.root, "");
    this.listenerList = [
      {
        Address: "*",
        Transport: "HTTP",
        Port: String(profile.defaultPorts.http),
        Hostname: "",
        Enabled: "true",
        URLPrefix: "wsman",
        CertificateThumbprint: "",
        ListeningOn: "127.0.0.1, ::1",
      },
    ];
  }

  /**
   * Canonical segments below winrm/config for a CLI alias ("winrm/config/service/auth", any case) or a resource URI
   * ("http://schemas.microsoft.com/wbem/wsman/1/config/service/auth"). Throws for anything else.
   */
  private resolve(path: string): { node: ConfigTree; dotted: string; canonical: string[] } {
    let rest: string;
    const p = path.trim().replace(/\\/g, "/");
    if (p.toLowerCase().startsWith(CONFIG_URI_PREFIX)) rest = p.slice(CONFIG_URI_PREFIX.length);
    else if (p.toLowerCase().startsWith("winrm/config")) rest = p.slice("winrm/config".length);
    else throw this.notFound(path);
    if (rest !== "" && !rest.startsWith("/")) throw this.notFound(path);
    const segs = rest.split("/").filter((s) => s !== "");
    let node = this.root;
    const canonical: string[] = [];
    for (const s of segs) {
      const key = findKey(node, s);
      const next = key === undefined ? undefined : node[key];
      if (key === undefined || next === undefined || typeof next === "string") throw this.notFound(path);
      canonical.push(key);
      node = next;
    }
    return { node, dotted: canonical.map((c) => c.toLowerCase()).join("."), canonical };
  }

  private notFound(path: string): WinRMConfigError {
    return new WinRMConfigError(
      "unknownPath",
      WSMAN_RESOURCE_NOT_FOUND,
      `The WS-Management service cannot process the request. The resource URI (${path}) was not found in the WS-Management catalog.`,
    );
  }

  /** The container names from winrm/config down to `path`, e.g. ["Service", "Auth"] (for rendering). */
  containerNames(path: string): string[] {
    return this.resolve(path).canonical;
  }

  /** A copy of the subtree at `path`. */
  get(path: string): ConfigTree {
    return deepCopy(this.resolve(path).node);
  }

  /** Set leaf values directly under `path`; validated all first, then applied (nothing changes on error). */
  set(path: string, values: Record<string, string>): void {
    const { node, dotted } = this.resolve(path);
    const changes: [string, string][] = [];
    for (const [name, value] of Object.entries(values)) {
      const key = findKey(node, name);
      if (key === undefined || typeof node[key] !== "string") {
        throw new WinRMConfigError(
          "unknownKey",
          WSMAN_SCHEMA_VALIDATION,
          `The WS-Management service cannot process the request because the XML is invalid: ${name} is not a setting of ${path}.`,
        );
      }
      changes.push([key, this.validate(dotted ? `${dotted}.${key.toLowerCase()}` : key.toLowerCase(), key, value)]);
    }
    for (const [k, v] of changes) node[k] = v;
  }

  /** WS-Transfer Put: merge a document (leaves and nested containers) into `path`; returns the updated subtree. */
  put(path: string, tree: ConfigTree): ConfigTree {
    const { node, dotted } = this.resolve(path);
    const changes: { target: ConfigTree; key: string; value: string }[] = [];
    const walk = (target: ConfigTree, doc: ConfigTree, prefix: string): void => {
      for (const [name, value] of Object.entries(doc)) {
        const key = findKey(target, name);
        const current = key === undefined ? undefined : target[key];
        if (key === undefined || current === undefined || typeof current !== typeof value) {
          throw new WinRMConfigError(
            "unknownKey",
            WSMAN_SCHEMA_VALIDATION,
            `The WS-Management service cannot process the request because the XML is invalid: unexpected element ${name}.`,
          );
        }
        const p = prefix ? `${prefix}.${key.toLowerCase()}` : key.toLowerCase();
        if (typeof value === "string") changes.push({ target, key, value: this.validate(p, key, value) });
        else walk(current as ConfigTree, value, p);
      }
    };
    walk(node, tree, dotted);
    for (const c of changes) c.target[c.key] = c.value;
    this.afterPut?.(path);
    return deepCopy(node);
  }

  private validate(dotted: string, key: string, value: string): string {
    const kind = this.kinds.get(dotted) ?? "string";
    const bad = (): WinRMConfigError =>
      new WinRMConfigError(
        "badValue",
        WSMAN_SCHEMA_VALIDATION,
        `The WS-Management service cannot process the request because the value "${value}" is not valid for ${key}.`,
      );
    switch (kind) {
      case "bool": {
        const v = value.trim().toLowerCase();
        if (v !== "true" && v !== "false") throw bad();
        return v;
      }
      case "uint": {
        const v = value.trim();
        if (!/^\d+$/.test(v) || Number(v) > 4294967295) throw bad();
        return String(Number(v));
      }
      case "cbt": {
        const v = ["None", "Relaxed", "Strict"].find((c) => c.toLowerCase() === value.trim().toLowerCase());
        if (!v) throw bad();
        return v;
      }
      default:
        return value;
    }
  }

  private leaf(...names: string[]): string | undefined {
    let node: ConfigTree | string | undefined = this.root;
    for (const n of names) {
      if (node === undefined || typeof node === "string") return undefined;
      node = node[n];
    }
    return typeof node === "string" ? node : undefined;
  }

  /** Service\AllowUnencrypted (MS-WSMV 3.1.4.1.29.1). */
  get allowUnencrypted(): boolean {
    return this.leaf("Service", "AllowUnencrypted") === "true";
  }

  /** Service\Auth. Stacks without CredSSP / CBT report false / "None". */
  get serviceAuth(): ServiceAuthState {
    const b = (k: string): boolean => this.leaf("Service", "Auth", k) === "true";
    const cbt = this.leaf("Service", "Auth", "CbtHardeningLevel");
    return {
      basic: b("Basic"),
      kerberos: b("Kerberos"),
      negotiate: b("Negotiate"),
      certificate: b("Certificate"),
      credSSP: b("CredSSP"),
      cbtHardeningLevel: cbt === "Strict" || cbt === "Relaxed" ? cbt : "None",
    };
  }

  /** MaxEnvelopeSizekb as configured now. */
  get maxEnvelopeSizekb(): number {
    return Number(this.leaf("MaxEnvelopeSizekb"));
  }

  /** Listeners for `winrm enumerate winrm/config/listener` (winrm/config/listener), copies. */
  listeners(): ConfigTree[] {
    return this.listenerList.map(deepCopy);
  }

  /** Add a listener (e.g. the HTTPS one when the emulator serves TLS). */
  addListener(listener: { transport: "HTTP" | "HTTPS"; port: number; hostname?: string; certificateThumbprint?: string }): void {
    this.listenerList.push({
      Address: "*",
      Transport: listener.transport,
      Port: String(listener.port),
      Hostname: listener.hostname ?? "",
      Enabled: "true",
      URLPrefix: "wsman",
      CertificateThumbprint: listener.certificateThumbprint ?? "",
      ListeningOn: "127.0.0.1, ::1",
    });
  }
}
