/**
 * The `winrmproxy` resource provider: the gRPC ResourceProvider service (pulumi/proto provider.proto) the engine
 * drives, over the resource implementations of provider/src/resources (through resourceBridge.ts).
 *
 * Why not @pulumi/pulumi/provider's `main(provider)`: in @pulumi/pulumi 3.248 its server answers Configure without
 * passing the configuration to the provider (the Provider interface has no configure), answers CheckConfig and
 * DiffConfig with UNIMPLEMENTED, and drops a diff's detailedDiff. A provider whose configuration is the connection,
 * and whose diff names `connection.auth.password`, needs all three; so this module serves the same service with the
 * same gRPC runtime and message classes @pulumi/pulumi uses (grpcRuntime.ts), and keeps main's process contract:
 * listen on 127.0.0.1, print the port on stdout, take the engine's address as the first argument.
 */
import type * as grpcTypes from "@grpc/grpc-js";
import type * as pb from "@pulumi/pulumi/proto/provider_pb.js";
import { closeAllClients } from "../resources/index.js";
import type { ResourceType } from "../resources/index.js";
import { EngineLog } from "./engineLog.js";
import { emptyproto, grpc, plugproto, provproto, provrpc, structproto } from "./grpcRuntime.js";
import { checkConfig, connectionFromConfig, inputsFromVariables } from "./providerConfig.js";
import { changedLeaves } from "../resources/types.js";
import { ResourceBridge, resourceTypeOfUrn, type NativeDiffResult } from "./resourceBridge.js";
import { packageSchema } from "./schema.js";
import { connectionSecretPaths, pathString, unwrapProps, wrapSecrets } from "./secrets.js";

type Unary<Req, Res> = (call: grpcTypes.ServerUnaryCall<Req, Res>, callback: grpcTypes.sendUnaryData<Res>) => void;
type Struct = InstanceType<typeof structproto.Struct>;

const KIND = {
  add: provproto.PropertyDiff.Kind.ADD,
  "add-replace": provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE,
  "delete-replace": provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE,
  "update-replace": provproto.PropertyDiff.Kind.UPDATE_REPLACE,
} as const;

const toJs = (s: Struct | undefined): unknown => s?.toJavaScript() ?? {};
const toStruct = (v: Record<string, unknown>): Struct =>
  structproto.Struct.fromJavaScript(v as Parameters<typeof structproto.Struct.fromJavaScript>[0]);

/** Config values the Node.js SDK JSON-encodes (object-typed provider inputs arrive as strings): decoded. */
function decodeConfigValues(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) {
    const t = typeof v === "string" ? v.trim() : "";
    if (k !== "endpoint" && (t.startsWith("{") || /^\d+$/.test(t))) {
      try {
        out[k] = JSON.parse(t) as unknown;
        continue;
      } catch {
        // not JSON: keep the string, check names the field
      }
    }
    out[k] = v;
  }
  return out;
}

function errorOf(e: unknown, what: string): grpcTypes.ServiceError {
  const message = e instanceof Error ? e.message : String(e);
  return Object.assign(new Error(`${what}: ${message}`), {
    code: grpc.status.UNKNOWN,
    details: `${what}: ${message}`,
    metadata: new grpc.Metadata(),
  });
}

function failuresList(failures: readonly { property: string; reason: string }[]): InstanceType<typeof provproto.CheckFailure>[] {
  return failures.map((f) => {
    const failure = new provproto.CheckFailure();
    failure.setProperty(f.property);
    failure.setReason(f.reason);
    return failure;
  });
}

function diffResponse(r: NativeDiffResult): InstanceType<typeof provproto.DiffResponse> {
  const resp = new provproto.DiffResponse();
  resp.setChanges(r.changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
  resp.setReplacesList(r.replaces);
  resp.setDeletebeforereplace(r.deleteBeforeReplace);
  resp.setHasdetaileddiff(true);
  const map = resp.getDetaileddiffMap();
  const top = new Set<string>();
  for (const [path, d] of Object.entries(r.detailedDiff)) {
    const pd = new provproto.PropertyDiff();
    pd.setKind(KIND[d.kind]);
    pd.setInputdiff(d.inputDiff);
    map.set(path, pd);
    top.add(path.split(/[.[]/)[0] as string);
  }
  resp.setDiffsList([...top]);
  return resp;
}

export class WinRMProxyProvider {
  private config: Record<string, unknown> | undefined;
  readonly bridge = new ResourceBridge(() => this.config);
  readonly engineLog = new EngineLog();

  constructor(
    readonly version: string,
    engineAddress: string | undefined,
  ) {
    this.engineLog.setAddress(engineAddress);
  }

  /** The gRPC service implementation (methods the engine calls; the rest answer UNIMPLEMENTED). */
  service(): grpcTypes.UntypedServiceImplementation {
    const unary =
      <Req, Res>(what: (req: Req) => string, fn: (req: Req) => Promise<Res>): Unary<Req, Res> =>
      (call, callback) => {
        fn(call.request).then(
          (res) => callback(null, res),
          (e: unknown) => callback(errorOf(e, what(call.request))),
        );
      };
    const urnOf = (req: { getUrn(): string }): string => req.getUrn().split("::").slice(2).join("::");

    return {
      getPluginInfo: unary(
        () => "GetPluginInfo",
        async () => new plugproto.PluginInfo().setVersion(this.version),
      ),
      getSchema: unary(
        () => "GetSchema",
        async () => new provproto.GetSchemaResponse().setSchema(JSON.stringify(packageSchema(this.version))),
      ),
      attach: unary(
        () => "Attach",
        async (req: InstanceType<typeof plugproto.PluginAttach>) => {
          this.engineLog.setAddress(req.getAddress());
          return new emptyproto.Empty();
        },
      ),
      cancel: unary(
        () => "Cancel",
        async () => new emptyproto.Empty(),
      ),
      checkConfig: unary(
        () => "provider configuration",
        async (req: pb.CheckRequest) => {
          const { props, secretPaths } = unwrapProps(toJs(req.getNews()));
          const decoded = decodeConfigValues(props);
          const resp = new provproto.CheckResponse();
          resp.setInputs(toStruct(wrapSecrets(decoded, [...secretPaths, ...connectionSecretPaths([])])));
          resp.setFailuresList(failuresList(checkConfig(decoded)));
          return resp;
        },
      ),
      diffConfig: unary(
        () => "provider configuration",
        async (req: pb.DiffRequest) => {
          const olds = connectionFromConfig(decodeConfigValues(unwrapProps(toJs(req.getOldInputs() ?? req.getOlds())).props)) ?? {};
          const news = connectionFromConfig(decodeConfigValues(unwrapProps(toJs(req.getNews())).props)) ?? {};
          const detailedDiff: NativeDiffResult["detailedDiff"] = {};
          const replaces: string[] = [];
          for (const leaf of changedLeaves(olds, news)) {
            // Another endpoint is another host: its resources are replaced with it (created there, deleted from the
            // old host by the old provider instance).
            const replace = leaf.path[0] === "endpoint" && leaf.kind === "update";
            if (replace) replaces.push("endpoint");
            detailedDiff[pathString(leaf.path)] = { kind: replace ? "update-replace" : leaf.kind, inputDiff: true };
          }
          return diffResponse({ changes: Object.keys(detailedDiff).length > 0, replaces, detailedDiff, deleteBeforeReplace: false });
        },
      ),
      configure: unary(
        () => "provider configuration",
        async (req: pb.ConfigureRequest) => {
          const args = req.getArgs();
          const raw = args !== undefined ? toJs(args) : inputsFromVariables(req.getVariablesMap().getEntryList());
          const failures = checkConfig(decodeConfigValues(unwrapProps(raw).props));
          if (failures.length > 0) throw new Error(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
          this.config = connectionFromConfig(decodeConfigValues(unwrapProps(raw).props));
          const resp = new provproto.ConfigureResponse();
          resp.setAcceptsecrets(true);
          resp.setSupportspreview(false);
          resp.setAcceptresources(false);
          resp.setAcceptoutputs(false);
          return resp;
        },
      ),
      check: unary(
        (req: pb.CheckRequest) => urnOf(req),
        async (req: pb.CheckRequest) => {
          const r = await this.bridge.check(resourceTypeOfUrn(req.getUrn()), toJs(req.getOlds()), toJs(req.getNews()));
          const resp = new provproto.CheckResponse();
          resp.setInputs(toStruct(r.inputs));
          resp.setFailuresList(failuresList(r.failures));
          return resp;
        },
      ),
      diff: unary(
        (req: pb.DiffRequest) => urnOf(req),
        async (req: pb.DiffRequest) =>
          diffResponse(await this.bridge.diff(resourceTypeOfUrn(req.getUrn()), req.getId(), toJs(req.getOlds()), toJs(req.getNews()))),
      ),
      create: unary(
        (req: pb.CreateRequest) => urnOf(req),
        async (req: pb.CreateRequest) => {
          const type = resourceTypeOfUrn(req.getUrn());
          const r = await this.bridge.create(type, toJs(req.getProperties()), this.progress(req.getUrn()));
          const resp = new provproto.CreateResponse();
          resp.setId(r.id);
          resp.setProperties(toStruct(r.outs));
          return resp;
        },
      ),
      read: unary(
        (req: pb.ReadRequest) => urnOf(req),
        async (req: pb.ReadRequest) => {
          const type: ResourceType = resourceTypeOfUrn(req.getUrn());
          const r = await this.bridge.read(type, req.getId(), toJs(req.getProperties()), toJs(req.getInputs()));
          const resp = new provproto.ReadResponse();
          resp.setId(r.id);
          resp.setProperties(toStruct(r.props));
          resp.setInputs(toStruct(r.inputs));
          return resp;
        },
      ),
      update: unary(
        (req: pb.UpdateRequest) => urnOf(req),
        async (req: pb.UpdateRequest) => {
          const type = resourceTypeOfUrn(req.getUrn());
          const r = await this.bridge.update(type, req.getId(), toJs(req.getOlds()), toJs(req.getNews()), this.progress(req.getUrn()));
          const resp = new provproto.UpdateResponse();
          resp.setProperties(toStruct(r.outs));
          return resp;
        },
      ),
      delete: unary(
        (req: pb.DeleteRequest) => urnOf(req),
        async (req: pb.DeleteRequest) => {
          await this.bridge.delete(resourceTypeOfUrn(req.getUrn()), req.getId(), toJs(req.getProperties()), this.progress(req.getUrn()));
          return new emptyproto.Empty();
        },
      ),
    };
  }

  private progress(urn: string): (message: string) => void {
    return (message) => void this.engineLog.log("info", urn, message);
  }
}

/** The arguments the engine starts a plugin with: flags (`--logtostderr`, `-v=N`, `--tracing X`), then the engine's address. */
export function engineAddressOf(args: readonly string[]): string | undefined {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--logtostderr" || a.startsWith("-v=")) continue;
    if (a === "--tracing") {
      i++;
      continue;
    }
    rest.push(a);
  }
  return rest[0];
}

/**
 * Serve until the engine goes away: listen on 127.0.0.1 on a port the OS picks and print it (the engine reads the
 * first line of the plugin's stdout). Returns the port and a stop function (tests).
 */
export async function serve(
  version: string,
  args: readonly string[],
  announce: (port: number) => void = (port) => process.stdout.write(`${port}\n`),
): Promise<{ port: number; provider: WinRMProxyProvider; stop: () => Promise<void> }> {
  const provider = new WinRMProxyProvider(version, engineAddressOf(args));
  const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  server.addService(provrpc.ResourceProviderService, provider.service());
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  announce(port);
  const stop = async (): Promise<void> => {
    provider.engineLog.close();
    await closeAllClients();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  };
  return { port, provider, stop };
}
