/**
 * The native provider's resource operations: the same implementations the dynamic resources run
 * (provider/src/resources/index.ts resourceProviders.<Type>), with what only a real provider has around them:
 *
 * - The connection: a resource's own `connection` input wins; without one, the provider's configuration (one
 *   explicit provider instance per host) is the connection. A connection that came from the provider is not copied
 *   into the resource's state: the provider holds it (secret) and every operation takes it from there, so a rotated
 *   password changes the provider, not every resource, and nothing runs on the host for it.
 * - Secrets: requests are unwrapped for the implementations (plain JSON) and answers wrapped again where the inputs
 *   had secrets and at every connection password (secrets.ts).
 * - detailedDiff: the implementations name `connection` as a whole; here a changed connection is named by the paths
 *   that changed (`connection.auth.password`), so the CLI shows which field changed, and as [secret] when it is one.
 */
import { normaliseEndpoint } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import { resourceProviders, type ResourceType } from "../resources/index.js";
import type { CheckFailure } from "../resources/schemas.js";
import type { DiffResult, OperationContext, PropertyDiff, Props } from "../resources/types.js";
import { PACKAGE_NAME } from "./providerConfig.js";
import { connectionSecretPaths, unwrapProps, wrapSecrets, type PropertyPath } from "./secrets.js";

export const RESOURCE_TYPES: readonly ResourceType[] = ["WinHttpProxySetting", "WinRMProxyConfig", "RemoteCommand", "CopyToRemote"];

export function resourceToken(type: ResourceType): string {
  return `${PACKAGE_NAME}:index:${type}`;
}

/** The resource type of a URN (`urn:pulumi:stack::project::winrmproxy:index:WinHttpProxySetting::name`). */
export function resourceTypeOfUrn(urn: string): ResourceType {
  const qualified = urn.split("::")[2] ?? "";
  const token = qualified.split("$").pop() ?? "";
  const type = RESOURCE_TYPES.find((t) => resourceToken(t) === token);
  if (type === undefined) throw new Error(`unknown resource type "${token}": ${PACKAGE_NAME} has ${RESOURCE_TYPES.map(resourceToken).join(", ")}`);
  return type;
}

export interface DetailedPropertyDiff extends PropertyDiff {
  /** true: the difference is between the old and new inputs (the engine shows those values). */
  inputDiff: boolean;
}

export interface NativeDiffResult extends Omit<DiffResult, "detailedDiff"> {
  detailedDiff: Record<string, DetailedPropertyDiff>;
}

/** Where a resource operation may report progress (the engine's log, with the resource's URN). */
export type ProgressLog = (message: string) => void;

/** The one line logged instead of a command's output when the output is secret. */
export const SECRET_OUTPUT_NOTE = "output not logged: the command has secret inputs, so its output is secret";

/**
 * The context a resource operation runs with: its output lines go to `log` (the engine's Log RPC, with the URN).
 * When the output is secret (outputSecretPaths: a command fed a secret may print it), nothing of it is logged; the
 * engine's LogRequest has no secret marking (its `ephemeral` flag only hides a line from the summary), so one note
 * says why the lines are missing.
 */
export function operationContext(log: ProgressLog | undefined, outputSecret: boolean): OperationContext {
  if (log === undefined) return { log: () => undefined };
  if (!outputSecret) return { log };
  let noted = false;
  return {
    log: () => {
      if (!noted) log(SECRET_OUTPUT_NOTE);
      noted = true;
    },
  };
}

/** Whether the output of a resource with these secret input (or state) paths is secret. */
function outputIsSecret(type: ResourceType, secretPaths: readonly PropertyPath[]): boolean {
  const paths = outputSecretPaths(type, secretPaths);
  return paths.some((p) => p.length === 1 && (p[0] === "stdout" || p[0] === "stderr"));
}

const NO_CONNECTION =
  `is required: give the resource a connection input, or give its provider (an explicit pulumi:providers:${PACKAGE_NAME} ` +
  "resource) the connection as its configuration: endpoint and auth { username, password }";


function endpointOf(connection: unknown): string | undefined {
  const raw = (connection as { endpoint?: unknown } | undefined)?.endpoint;
  if (typeof raw !== "string") return undefined;
  try {
    return normaliseEndpoint(raw);
  } catch {
    return raw;
  }
}

/** Secret paths of the inputs outside `connection`, also under `declared` (the state's copy of the inputs). */
function outputSecretPaths(type: ResourceType, inputSecrets: readonly PropertyPath[]): PropertyPath[] {
  const own = inputSecrets.filter((p) => p[0] !== "connection");
  const paths: PropertyPath[] = [...inputSecrets, ...connectionSecretPaths(["connection"]), ...own.map((p) => ["declared", ...p])];
  // A command fed a secret (stdin, environment, the command line) may print it: its output is secret too.
  if (type === "RemoteCommand" && own.length > 0) paths.push(["stdout"], ["stderr"]);
  return paths;
}

export class ResourceBridge {
  /** `providerConnection()`: the provider's configured connection (plain JSON), undefined when it has none. */
  constructor(private readonly providerConnection: () => Record<string, unknown> | undefined) {}

  /** The props with the connection the operation uses, and whether it is the resource's own. */
  private effective(props: Props, required = true): { props: Props; own: boolean } {
    if (props.connection !== undefined) return { props, own: true };
    const fromProvider = this.providerConnection();
    if (fromProvider === undefined) {
      if (required) throw new ConfigurationError("connection", NO_CONNECTION);
      return { props, own: false };
    }
    return { props: { ...props, connection: fromProvider }, own: false };
  }

  /**
   * A resource whose connection comes from the provider was created on the host named by its state's `endpoint`;
   * acting on another host (the provider now names a different one) would read or undo the wrong machine.
   */
  private assertSameHost(state: Props, effective: Props, own: boolean): void {
    if (own || typeof state.endpoint !== "string") return;
    const now = endpointOf(effective.connection);
    if (now !== undefined && now !== endpointOf({ endpoint: state.endpoint })) {
      throw new ConfigurationError(
        "connection.endpoint",
        `the resource lives on ${state.endpoint} but its provider now connects to ${now}; point the provider back at ` +
          "that host (or give the resource its own connection) to refresh or delete it",
      );
    }
  }

  async check(type: ResourceType, rawOlds: unknown, rawNews: unknown): Promise<{ inputs: Props; failures: CheckFailure[] }> {
    const { props: olds } = unwrapProps(rawOlds);
    const { props: news, secretPaths } = unwrapProps(rawNews);
    const eff = this.effective(news, false);
    const r = await resourceProviders[type].check(olds, eff.props);
    const failures = r.failures.map((f) =>
      !eff.own && eff.props.connection === undefined && f.property === "connection" ? { property: "connection", reason: NO_CONNECTION } : f,
    );
    const inputs = { ...r.inputs };
    if (!eff.own) delete inputs.connection;
    return { inputs: wrapSecrets(inputs, [...secretPaths, ...connectionSecretPaths(["connection"])]), failures };
  }

  async diff(type: ResourceType, id: string, rawOlds: unknown, rawNews: unknown): Promise<NativeDiffResult> {
    const { props: olds } = unwrapProps(rawOlds);
    const { props: news } = unwrapProps(rawNews);
    const oldEff = this.effective(olds);
    const newEff = this.effective(news);
    const r = await resourceProviders[type].diff(id, oldEff.props, newEff.props);
    const detailed: Record<string, DetailedPropertyDiff> = {};
    const replaces = new Set(r.replaces);
    // The resources' diff already names the connection's changed leaves (connection.auth.password, ...): passed on.
    for (const [key, d] of Object.entries(r.detailedDiff)) detailed[key] = { kind: d.kind, inputDiff: true };
    // It replaces on `connection`; the engine shows a replace by the path given here, so name the leaf: the endpoint.
    if (replaces.has("connection") && detailed["connection.endpoint"]?.kind.endsWith("-replace") === true) {
      replaces.delete("connection");
      replaces.add("connection.endpoint");
    }
    // Both sides from the provider: its endpoint moving to another host moves the resource (state.endpoint is where
    // it was created).
    if (!oldEff.own && !newEff.own && typeof olds.endpoint === "string") {
      const now = endpointOf(newEff.props.connection);
      if (now !== undefined && now !== endpointOf({ endpoint: olds.endpoint })) {
        detailed["connection.endpoint"] = { kind: "update-replace", inputDiff: false };
        replaces.add("connection.endpoint");
      }
    }
    return {
      changes: Object.keys(detailed).length > 0,
      replaces: [...replaces],
      detailedDiff: detailed,
      deleteBeforeReplace: r.deleteBeforeReplace,
    };
  }

  async create(type: ResourceType, rawNews: unknown, log?: ProgressLog): Promise<{ id: string; outs: Props }> {
    const { props: news, secretPaths } = unwrapProps(rawNews);
    const eff = this.effective(news);
    const endpoint = endpointOf(eff.props.connection) ?? "";
    log?.(`${type}: creating on ${endpoint}`);
    const started = Date.now();
    const r = await resourceProviders[type].create(eff.props, operationContext(log, outputIsSecret(type, secretPaths)));
    log?.(`${type}: created ${r.id} in ${Date.now() - started} ms`);
    return { id: r.id, outs: this.outputs(type, r.outs, eff.own, secretPaths) };
  }

  async read(
    type: ResourceType,
    id: string,
    rawProps: unknown,
    rawInputs: unknown,
  ): Promise<{ id: string; props: Props; inputs: Props }> {
    const { props: state, secretPaths: stateSecrets } = unwrapProps(rawProps);
    const { secretPaths: inputSecrets } = unwrapProps(rawInputs);
    const eff = this.effective(state);
    this.assertSameHost(state, eff.props, eff.own);
    // No state at all (pulumi import): read from the id and the connection alone.
    const r = await resourceProviders[type].read(id, Object.keys(state).length === 0 ? { connection: eff.props.connection } : eff.props);
    const props = { ...r.props };
    const inputs = { ...r.inputs };
    if (!eff.own) {
      delete props.connection;
      delete inputs.connection;
    }
    return {
      id: r.id,
      props: wrapSecrets(props, [...stateSecrets, ...outputSecretPaths(type, inputSecrets)]),
      inputs: wrapSecrets(inputs, [...inputSecrets, ...connectionSecretPaths(["connection"])]),
    };
  }

  async update(type: ResourceType, id: string, rawOlds: unknown, rawNews: unknown, log?: ProgressLog): Promise<{ outs: Props }> {
    const { props: olds } = unwrapProps(rawOlds);
    const { props: news, secretPaths } = unwrapProps(rawNews);
    const oldEff = this.effective(olds);
    const newEff = this.effective(news);
    log?.(`${type}: updating ${id}`);
    const started = Date.now();
    const ctx = operationContext(log, outputIsSecret(type, secretPaths));
    const r = await resourceProviders[type].update(id, oldEff.props, newEff.props, ctx);
    log?.(`${type}: updated ${id} in ${Date.now() - started} ms`);
    return { outs: this.outputs(type, r.outs, newEff.own, secretPaths) };
  }

  async delete(type: ResourceType, id: string, rawProps: unknown, log?: ProgressLog): Promise<void> {
    const { props: state, secretPaths } = unwrapProps(rawProps);
    const eff = this.effective(state);
    this.assertSameHost(state, eff.props, eff.own);
    log?.(`${type}: deleting ${id}`);
    // The state's secret paths: a secret command's stored stdout / stderr are secret there.
    const secret = outputIsSecret(type, secretPaths.filter((p) => p[0] !== "connection"));
    await resourceProviders[type].delete(id, eff.props, operationContext(log, secret));
  }

  private outputs(type: ResourceType, outs: Props, own: boolean, inputSecrets: readonly PropertyPath[]): Props {
    const out = { ...outs };
    if (!own) delete out.connection;
    return wrapSecrets(out, outputSecretPaths(type, inputSecrets));
  }
}
