/**
 * The Pulumi package schema of the native provider (https://www.pulumi.com/docs/iac/extending-pulumi/schema/),
 * generated from the zod schemas the dynamic resources validate with (provider/src/connection.ts connectionSchema,
 * provider/src/resources/schemas.ts): property names, types, descriptions and required-ness come from zod through
 * the one model of a zod schema (provider/src/schema/model.ts, which the SDK's typed args are generated from too:
 * optional = what a program may leave out, defaults included); the only
 * additions here are what zod cannot say: which properties are secret (every `password`), the outputs the resources
 * compute, and the Pulumi names of the object and enum types.
 *
 * Differences from the dynamic resources' inputs, on purpose: `connection` is optional (the provider's
 * configuration stands in for it), and enums become Pulumi enum types (typed in every SDK).
 */
import type { z } from "zod";
import { connectionSchema } from "../connection.js";
import type { ResourceType } from "../resources/index.js";
import { copyToRemoteInputs, remoteCommandInputs, winHttpProxySettingInputs, winRMProxyConfigInputs } from "../resources/schemas.js";
import { PACKAGE_NAME } from "./providerConfig.js";
import { objectModels, type FieldModel, type ObjectModel, type TypeModel } from "../schema/model.js";
import { RESOURCE_TYPES, resourceToken } from "./resourceBridge.js";

export interface SchemaProperty {
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  $ref?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  oneOf?: SchemaProperty[];
  description?: string;
  secret?: boolean;
}

interface ObjectType {
  type: "object";
  description?: string;
  properties: Record<string, SchemaProperty>;
  required?: string[];
}

interface EnumType {
  type: "string" | "integer" | "boolean";
  description?: string;
  enum: { value: string | number | boolean; name?: string }[];
}

const ANY: SchemaProperty = { $ref: "pulumi.json#/Any" };
/** Every field of these names is a credential (tls.clientKey and its passphrase: docs/tls.md). */
const SECRET_FIELDS: ReadonlySet<string> = new Set(["password", "clientKey", "clientKeyPassphrase"]);

const INPUTS: Record<ResourceType, z.ZodObject> = {
  WinHttpProxySetting: winHttpProxySettingInputs,
  WinRMProxyConfig: winRMProxyConfigInputs,
  RemoteCommand: remoteCommandInputs,
  CopyToRemote: copyToRemoteInputs,
};

const DESCRIPTIONS: Record<ResourceType, string> = {
  WinHttpProxySetting:
    "The WinHTTP default proxy of one Windows host (netsh winhttp / proxycfg), read back from the registry value " +
    "WinHttpSettings. Id: `winhttp:<endpoint>`; importable with that id through the host's provider.",
  WinRMProxyConfig:
    "The WinRM service settings a proxied path needs (AllowUnencrypted false, Service/Auth schemes), applied with " +
    "WS-Transfer Put and read back; the outputs prove the path (mechanism, encryption, tunnel or forward). Id: " +
    "`winrm-config:<endpoint>`.",
  RemoteCommand:
    "A command run over WinRM on create (and update, delete), as @pulumi/command's remote.Command does over SSH; " +
    "`triggers` replace it.",
  CopyToRemote:
    "A local file or directory copied to a path on the host over WinRM (as @pulumi/command's CopyToRemote does over " +
    "SSH), verified by sha256 on the host. A changed local file (hashed at preview), remotePath or `triggers` replace " +
    "it; a refresh hashes the files on the host, so a file changed or deleted there shows as drift. Destroy removes " +
    "remotePath (deleteOnDestroy).",
};

/** Outputs the resources compute besides their inputs (the state layouts in provider/src/resources/*.ts). */
const OUTPUTS: Record<ResourceType, Record<string, SchemaProperty>> = {
  WinHttpProxySetting: {
    endpoint: { type: "string", description: "The normalised WinRM endpoint of the host." },
    accessType: { type: "string", description: 'The live setting: "direct" or "proxy".' },
    proxyServer: { type: "string", description: "The live proxy server (in the declared spelling when equivalent)." },
    bypassList: { type: "string", description: "The live bypass list, `;`-separated." },
    expected: { ...ANY, description: "What the last create or update applied." },
    previous: { ...ANY, description: "The setting found at create (what onDelete \"restore\" puts back)." },
    tool: { type: "string", description: "netsh or proxycfg, chosen from the host's WinRM version." },
    productVersion: { type: "string", description: "The host's ProductVersion from WS-Management Identify." },
  },
  WinRMProxyConfig: {
    endpoint: { type: "string", description: "The normalised WinRM endpoint of the host." },
    productVersion: { type: "string", description: "The host's ProductVersion from WS-Management Identify." },
    stack: { type: "string", description: "The host's WS-Management stack version (Identify ProductVersion Stack)." },
    path: { ...ANY, description: "The path the connection took: mechanism, encrypted, sealed, tls, transport, proxy." },
    serviceAuth: { ...ANY, description: "The live Service/Auth settings." },
    previousServiceAuth: { ...ANY, description: "The Service/Auth settings found at create." },
  },
  RemoteCommand: {
    endpoint: { type: "string", description: "The normalised WinRM endpoint of the host." },
    stdout: { type: "string", description: "Standard output of the last run (secret when an input is)." },
    stderr: { type: "string", description: "Standard error of the last run (secret when an input is)." },
    exitCode: { type: "integer", description: "Exit code of the last run (always 0: a failure fails the operation)." },
  },
  CopyToRemote: {
    endpoint: { type: "string", description: "The normalised WinRM endpoint of the host." },
    contentHash: { type: "string", description: "sha256 over the copied files' relative paths and sha256s as the host holds them." },
    files: { type: "array", items: { $ref: `#/types/${PACKAGE_NAME}:index:CopiedFile` }, description: "Each copied file as the host holds it." },
    fileCount: { type: "integer", description: "How many files were copied." },
    bytes: { type: "integer", description: "Total size of the copied files." },
  },
};

const COMMON_OUTPUTS: Record<string, SchemaProperty> = {
  schemaVersion: { type: "integer", description: "The layout version of this resource's state." },
  declared: { ...ANY, description: "The inputs as the program wrote them (without connection); what refresh compares with." },
};

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const typeRef = (name: string): string => `#/types/${PACKAGE_NAME}:index:${name}`;

class Emitter {
  readonly types: Record<string, ObjectType | EnumType> = {};

  /** A named object type from an object model; returns its $ref. Types are named by their path (ConnectionAuth). */
  objectType(model: ObjectModel, name: string, description?: string): string {
    const properties: Record<string, SchemaProperty> = {};
    for (const f of model.fields) properties[f.name] = this.property(f, `${name}${pascal(f.name)}`);
    const required = model.fields.filter((f) => !f.optional).map((f) => f.name);
    this.types[`${PACKAGE_NAME}:index:${name}`] = {
      type: "object",
      ...(description !== undefined ? { description } : {}),
      properties,
      ...(required.length > 0 ? { required } : {}),
    };
    return typeRef(name);
  }

  /** One property; `name` is the Pulumi type name it gets if it is an object or an enum. */
  property(field: FieldModel, name: string): SchemaProperty {
    const meta: SchemaProperty = {
      ...(field.description !== undefined ? { description: field.description } : {}),
      ...(field.secret || SECRET_FIELDS.has(field.name) ? { secret: true } : {}),
    };
    return { ...this.shape(field.type, name), ...meta };
  }

  private shape(t: TypeModel, name: string, inUnion = false): SchemaProperty {
    switch (t.kind) {
      case "union":
        return { oneOf: t.options.map((o) => this.shape(o, name, true)) };
      case "literal":
        return { type: jsonType(t.values[0]) };
      case "enum": {
        // An enum inside a union (proxy: "none" | "env" | {...}) stays a string: a union of an enum and an object has
        // no enum type of its own in every SDK.
        if (inUnion) return { type: "string" };
        this.types[`${PACKAGE_NAME}:index:${name}`] = {
          type: jsonType(t.values[0]) as EnumType["type"],
          enum: t.values.map((value) => ({ value, ...(typeof value === "string" ? { name: pascal(value) } : {}) })),
        };
        return { $ref: typeRef(name) };
      }
      case "object":
        return { $ref: this.objectType(t.object, name) };
      case "record":
        return { type: "object", additionalProperties: t.values.kind === "unknown" ? ANY : this.shape(t.values, `${name}Value`) };
      case "array":
        return { type: "array", items: t.items.kind === "unknown" ? ANY : this.shape(t.items, `${name}Item`) };
      case "number":
        return { type: t.integer ? "integer" : "number" };
      case "string":
      case "boolean":
        return { type: t.kind };
      case "unknown":
        return { ...ANY };
    }
  }
}

function jsonType(v: unknown): "string" | "integer" | "number" | "boolean" {
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return "string";
}

/** The package schema, as an object (JSON.stringify it for GetSchema). */
export function packageSchema(version: string): Record<string, unknown> {
  const emitter = new Emitter();
  const [connectionModel, ...resourceModels] = objectModels([
    [connectionSchema, "Connection"],
    ...RESOURCE_TYPES.map((type) => [INPUTS[type], type] as const),
  ]);
  const connectionRef = emitter.objectType(
    connectionModel as ObjectModel,
    "Connection",
    "How to reach a Windows host over WinRM: endpoint, credentials, TLS, proxy, timeouts (the provider's configuration has the same shape).",
  );
  // The provider's configuration: the connection's properties, each optional (a resource may carry its own).
  const connectionType = emitter.types[`${PACKAGE_NAME}:index:Connection`] as ObjectType;
  const configProperties = connectionType.properties;

  // The one object type of an output (CopyToRemote's files): typed in every SDK.
  emitter.types[`${PACKAGE_NAME}:index:CopiedFile`] = {
    type: "object",
    description: "One file a CopyToRemote copied, as the host holds it.",
    properties: {
      path: { type: "string", description: 'Relative to remotePath, "/"-separated ("" when the source is one file).' },
      sha256: { type: "string", description: 'Hex SHA-256 of the file on the host; "" when a refresh found it missing (or changed, on a host that computes SHA-1 only).' },
      sha1: { type: "string", description: 'Only on hosts that compute SHA-1 alone (Server 2003): hex SHA-1 of the file, compared at refresh ("" when missing).' },
      bytes: { type: "integer", description: "Its size when it was copied." },
    },
    required: ["path", "sha256", "bytes"],
  };
  const resources: Record<string, unknown> = {};
  RESOURCE_TYPES.forEach((type, i) => {
    const model = resourceModels[i] as ObjectModel;
    const inputProperties: Record<string, SchemaProperty> = {};
    for (const f of model.fields) {
      inputProperties[f.name] =
        f.name === "connection"
          ? {
              $ref: connectionRef,
              description:
                `${f.description ?? "How to reach the host."} ` +
                "Optional here: without it the resource uses its provider's configuration; with it, it wins.",
            }
          : emitter.property(f, `${type}${pascal(f.name)}`);
    }
    const requiredInputs = model.fields.filter((f) => !f.optional && f.name !== "connection").map((f) => f.name);
    resources[resourceToken(type)] = {
      description: DESCRIPTIONS[type],
      inputProperties,
      ...(requiredInputs.length > 0 ? { requiredInputs } : {}),
      properties: { ...inputProperties, ...COMMON_OUTPUTS, ...OUTPUTS[type] },
      required: ["endpoint", "schemaVersion"],
    };
  });

  return {
    name: PACKAGE_NAME,
    displayName: "WinRM proxy",
    version,
    description:
      "Windows hosts over WinRM through HTTP proxies: WinHTTP proxy settings, WinRM service settings and commands. " +
      "One explicit provider per host; its configuration is the connection.",
    keywords: ["windows", "winrm", "proxy", "category/utility"],
    license: "Apache-2.0",
    config: { variables: configProperties },
    provider: {
      description: "One Windows host: the provider's configuration is the connection its resources use (a resource's own connection wins).",
      inputProperties: configProperties,
    },
    resources,
    types: emitter.types,
    // SDK names and paths (scripts/gen-native-sdks.sh): no registry namespace of Pulumi's own.
    language: {
      nodejs: { packageName: "@pulumi-winrm-proxy/winrmproxy", dependencies: { "@pulumi/pulumi": "^3.0.0" } },
      python: { packageName: "pulumi_winrmproxy" },
      go: { importBasePath: "pulumi-winrm-proxy/sdk/go/winrmproxy" },
    },
  };
}
