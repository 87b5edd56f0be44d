/**
 * A command run on a Windows host over WinRM, like @pulumi/command's remote.Command: create / update / delete, cmd or
 * PowerShell, stdin, environment, and triggers that replace. A non-zero exit fails with the stderr tail.
 *
 * id: `remote-command:<uuid>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { remoteCommandOutputNames, RemoteCommandOutputs, type RemoteCommandArgs } from "./generated/remoteCommand.js";
import { remoteCommandShim } from "./shim.js";
import { SECRET_OUTPUTS, withOutputs, withSecretOutputs } from "./types.js";

export type { RemoteCommandArgs };

/**
 * A command run on a Windows host over WinRM (inputs: RemoteCommandArgs; each input and output is documented where
 * it is declared). The connection is stored as a secret.
 */
export class RemoteCommand extends RemoteCommandOutputs {
  constructor(name: string, args: RemoteCommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      remoteCommandShim,
      name,
      { ...withOutputs(remoteCommandOutputNames, args), connection: pulumi.secret(args.connection) },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "RemoteCommand",
    );
  }
}
