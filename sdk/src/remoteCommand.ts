/**
 * A command run on a Windows host over WinRM, like @pulumi/command's remote.Command: create / update / delete, cmd or
 * PowerShell, stdin, environment, and triggers that replace. A non-zero exit fails with the stderr tail.
 *
 * id: `remote-command:<uuid>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { remoteCommandShim } from "./shim.js";
import { SECRET_OUTPUTS, withSecretOutputs, type ConnectionArgs, type ConnectionInput } from "./types.js";

export interface RemoteCommandArgs {
  /** How to reach the host (stored as a secret). */
  connection: ConnectionArgs;
  /** Runs on create (and on update when `update` is unset). */
  create: pulumi.Input<string>;
  /** Runs when an input other than triggers changes. */
  update?: pulumi.Input<string>;
  /** Runs on destroy and before a replacement is created elsewhere. */
  delete?: pulumi.Input<string>;
  /** "cmd" (default) or "powershell" (the text is a PowerShell script). */
  shell?: pulumi.Input<"cmd" | "powershell">;
  /** Written to the command's stdin, then closed. */
  stdin?: pulumi.Input<string>;
  /** Environment variables of the remote shell. */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Any change replaces the resource. */
  triggers?: pulumi.Input<unknown[]>;
  /** Deadline of each command, in seconds. */
  timeoutSeconds?: pulumi.Input<number>;
}

export class RemoteCommand extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<ConnectionInput>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly create: pulumi.Output<string>;
  declare readonly update: pulumi.Output<string | undefined>;
  declare readonly delete: pulumi.Output<string | undefined>;
  declare readonly shell: pulumi.Output<"cmd" | "powershell">;
  declare readonly stdout: pulumi.Output<string>;
  declare readonly stderr: pulumi.Output<string>;
  declare readonly exitCode: pulumi.Output<number>;
  declare readonly triggers: pulumi.Output<unknown[] | undefined>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: RemoteCommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      remoteCommandShim,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        endpoint: undefined,
        stdout: undefined,
        stderr: undefined,
        exitCode: undefined,
        schemaVersion: undefined,
      },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "RemoteCommand",
    );
  }
}
