/**
 * A command run on a Windows host over WinRM, like @pulumi/command's remote.Command: create / update / delete, cmd or
 * PowerShell, stdin, environment, and triggers that replace. A non-zero exit fails with the stderr tail.
 *
 * id: `remote-command:<uuid>`.
 */
import * as pulumi from "@pulumi/pulumi";
// Types only (erased): the SDK never loads provider code in the program's process; the shim requires it by name in
// the dynamic-provider process.
import type { RemoteCommandDeclaredInputs } from "../../provider/src/resources/schemas.js";
import type { RemoteCommandState } from "../../provider/src/resources/remoteCommand.js";
import { remoteCommandShim } from "./shim.js";
import { SECRET_OUTPUTS, withSecretOutputs, type ArgsOf, type ConnectionInput } from "./types.js";

/**
 * connection (stored as a secret); create: runs on create (and on update when `update` is unset); update: runs when
 * an input other than triggers changes; delete: runs on destroy and before a replacement is created elsewhere; shell:
 * "cmd" (default) or "powershell" (the text is a PowerShell script); stdin: written to the command's stdin, then
 * closed; environment: variables of the remote shell; triggers: any change replaces the resource; timeoutSeconds:
 * deadline of each command.
 */
export type RemoteCommandArgs = ArgsOf<RemoteCommandDeclaredInputs>;

export class RemoteCommand extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<ConnectionInput>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly create: pulumi.Output<string | undefined>;
  declare readonly update: pulumi.Output<string | undefined>;
  declare readonly delete: pulumi.Output<string | undefined>;
  declare readonly shell: pulumi.Output<RemoteCommandState["shell"]>;
  declare readonly dir: pulumi.Output<string | undefined>;
  declare readonly acceptedExitCodes: pulumi.Output<number[] | undefined>;
  declare readonly addPreviousOutputInEnv: pulumi.Output<boolean>;
  declare readonly logging: pulumi.Output<RemoteCommandState["logging"]>;
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
