/**
 * Messages to the engine's log while an operation runs, attributed to the resource (its URN), so the CLI shows them
 * on the resource's row and in its diagnostics. The engine's address is the plugin's first argument (or arrives by
 * Attach); its Engine service has a Log RPC (pulumi/proto engine.proto Engine.Log). `pulumi.log.info` does not
 * reach it from a provider: @pulumi/pulumi's log module talks to the engine only in a program (or a provider's
 * construct/call), where the runtime settings hold the engine connection.
 *
 * Logging never fails an operation: a message the engine does not take is dropped.
 */
import { engineproto, enginerpc, grpc } from "./grpcRuntime.js";

export type Severity = "debug" | "info" | "warning" | "error";

/** Bound on one message: a command's output line can be long; the engine's log is no place for megabytes. */
const MAX_MESSAGE = 4096;

export class EngineLog {
  private client: InstanceType<typeof enginerpc.EngineClient> | undefined;
  private address: string | undefined;

  setAddress(address: string | undefined): void {
    if (address === undefined || address === "" || address === this.address) return;
    this.client?.close();
    this.address = address;
    this.client = new enginerpc.EngineClient(address, grpc.credentials.createInsecure());
  }

  log(severity: Severity, urn: string, message: string): Promise<void> {
    const client = this.client;
    if (client === undefined) return Promise.resolve();
    const req = new engineproto.LogRequest();
    const level = {
      debug: engineproto.LogSeverity.DEBUG,
      info: engineproto.LogSeverity.INFO,
      warning: engineproto.LogSeverity.WARNING,
      error: engineproto.LogSeverity.ERROR,
    }[severity];
    req.setSeverity(level);
    req.setMessage(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message);
    req.setUrn(urn);
    return new Promise((resolve) => {
      client.log(req, () => resolve());
    });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
