/**
 * The resources described once for every consumer of their shape: inputs walked from the zod schemas (types,
 * defaults, `.describe()` texts), outputs with their descriptions (schema/outputs.ts), secrets, and the provider
 * state type each output is typed from. The SDK's generated types (schema/typescript.ts) come from here; a native
 * provider's package schema can too.
 */
import type { z } from "zod";
import { connectionSchema } from "../connection.js";
import {
  copyToRemoteInputs,
  remoteCommandInputs,
  serviceAuthSchema,
  winHttpProxySettingInputs,
  winRMProxyConfigInputs,
} from "../resources/schemas.js";
import { objectModels, type FieldModel, type ObjectModel } from "./model.js";
import {
  copyToRemoteOutputDocs,
  remoteCommandOutputDocs,
  winHttpProxySettingOutputDocs,
  winRMProxyConfigOutputDocs,
} from "./outputs.js";

/** The dynamic resources' module: type tokens are `pulumi-nodejs:dynamic/winrm-proxy:<name>`. */
export const RESOURCE_MODULE = "winrm-proxy";

/** The object every resource's `connection` input is: modelled once, as "Connection". */
export const CONNECTION_OBJECT = "Connection";

const NAMED_OBJECTS = new Map<z.ZodObject, string>([
  [connectionSchema, CONNECTION_OBJECT],
  [serviceAuthSchema, "ServiceAuth"],
]);

/**
 * Secret fields ("<Object>.<field>"). `connection` is stored as a secret as a whole (it holds the passwords); the
 * passwords are marked too, for a schema that types the connection field by field.
 */
const SECRETS = new Set([
  "WinHttpProxySetting.connection",
  "WinRMProxyConfig.connection",
  "RemoteCommand.connection",
  "CopyToRemote.connection",
  "ConnectionAuth.password",
  "ConnectionProxy.password",
]);

export interface OutputModel {
  readonly name: string;
  readonly description: string;
  /** The input of the same name, when the output echoes it (its type and defaults). */
  readonly input: FieldModel | undefined;
  readonly secret: boolean;
}

export interface ResourceModel {
  /** The class and type name ("RemoteCommand"). */
  readonly name: string;
  readonly inputs: ObjectModel;
  readonly outputs: readonly OutputModel[];
  /** The provider's state type the outputs are typed from: module (relative to provider/src) and exported name. */
  readonly state: { readonly module: string; readonly type: string };
}

interface ResourceSource {
  readonly name: string;
  readonly inputs: z.ZodObject;
  /** An OutputDocs<State, Inputs>, read by name. */
  readonly outputDocs: {
    readonly computed: Readonly<Record<string, string>>;
    readonly overrides?: Readonly<Record<string, string | undefined>>;
    readonly notStored?: readonly string[];
  };
  readonly state: ResourceModel["state"];
}

const SOURCES: readonly ResourceSource[] = [
  {
    name: "WinRMProxyConfig",
    inputs: winRMProxyConfigInputs,
    outputDocs: winRMProxyConfigOutputDocs,
    state: { module: "resources/winRMProxyConfig.js", type: "WinRMProxyConfigState" },
  },
  {
    name: "WinHttpProxySetting",
    inputs: winHttpProxySettingInputs,
    outputDocs: winHttpProxySettingOutputDocs,
    state: { module: "resources/winHttpProxySetting.js", type: "WinHttpProxySettingState" },
  },
  {
    name: "RemoteCommand",
    inputs: remoteCommandInputs,
    outputDocs: remoteCommandOutputDocs,
    state: { module: "resources/remoteCommand.js", type: "RemoteCommandState" },
  },
  {
    name: "CopyToRemote",
    inputs: copyToRemoteInputs,
    outputDocs: copyToRemoteOutputDocs,
    state: { module: "resources/copyToRemote.js", type: "CopyToRemoteState" },
  },
];

/** Every resource's model (walked together, so the connection is one shared object). */
export function resourceModels(): ResourceModel[] {
  const inputs = objectModels(
    SOURCES.map((s) => [s.inputs, s.name] as const),
    { names: NAMED_OBJECTS, secrets: SECRETS },
  );
  return SOURCES.map((source, i) => {
    const model = inputs[i] as ObjectModel;
    return { name: source.name, inputs: model, outputs: outputsOf(source, model), state: source.state };
  });
}

function outputsOf(source: ResourceSource, inputs: ObjectModel): OutputModel[] {
  const docs = source.outputDocs;
  const notStored = new Set(docs.notStored);
  const overrides = docs.overrides ?? {};
  const echoed = inputs.fields
    .filter((f) => !notStored.has(f.name))
    .map((f): OutputModel => {
      const description = overrides[f.name] ?? f.description;
      if (description === undefined) throw new Error(`${source.name}.${f.name}: the input has no .describe() text, so its output has none`);
      return { name: f.name, description, input: f, secret: f.secret };
    });
  const computed = Object.entries(docs.computed).map(
    ([name, description]): OutputModel => ({ name, description, input: undefined, secret: false }),
  );
  return [...echoed, ...computed];
}
