/**
 * A local file or directory copied to a Windows host over WinRM, like @pulumi/command's CopyToRemote: `source`,
 * `remotePath`, `triggers` that replace. The local content is hashed at every preview, so a changed file replaces the
 * copy; a refresh hashes the files on the host, so a file changed or deleted there is drift that `pulumi up` repairs.
 * Destroy removes remotePath from the host (deleteOnDestroy: false keeps it).
 *
 * ```ts
 * new CopyToRemote("site", { connection, source: "./site", remotePath: "C:\\inetpub\\site" });
 * ```
 * id: `copy-to-remote:<uuid>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { copyToRemoteOutputNames, CopyToRemoteOutputs, type CopyToRemoteArgs as GeneratedArgs } from "./generated/copyToRemote.js";
import { copyToRemoteShim } from "./shim.js";
import { SECRET_OUTPUTS, withOutputs, withSecretOutputs } from "./types.js";

/** A local path, or a FileAsset / FileArchive of a local path (its path is what is copied). */
export type CopySource = string | pulumi.asset.FileAsset | pulumi.asset.FileArchive;

/** The inputs of a CopyToRemote (each documented where it is declared); `source` also takes a FileAsset or FileArchive. */
export interface CopyToRemoteArgs extends Omit<GeneratedArgs, "source"> {
  /**
   * The local file or directory to copy: a path (relative paths are relative to the Pulumi project directory), or a
   * pulumi.asset.FileAsset / FileArchive of one. Its content is hashed at every preview, locally: a changed, added or
   * removed file replaces the resource (the copy is made again).
   */
  source: pulumi.Input<CopySource>;
}

/** The local path a source names (an asset's path; a string as given). */
function sourcePath(source: pulumi.Input<CopySource>): pulumi.Output<string> {
  // pulumi.output unwraps an asset's fields (its `path` promise too), so the asset arrives as { path }.
  return pulumi.output(source).apply((s): Promise<string> => {
    if (typeof s === "string") return Promise.resolve(s);
    const path: unknown = (s as { path?: unknown } | undefined)?.path;
    if (typeof path === "string" || path instanceof Promise) return Promise.resolve(path as string | Promise<string>);
    throw new Error("CopyToRemote source: give a local path, a pulumi.asset.FileAsset or a pulumi.asset.FileArchive");
  });
}

/**
 * A file or directory copied to a Windows host (inputs: CopyToRemoteArgs; each input and output is documented where
 * it is declared). The connection is stored as a secret.
 */
export class CopyToRemote extends CopyToRemoteOutputs {
  constructor(name: string, args: CopyToRemoteArgs, opts?: pulumi.CustomResourceOptions) {
    const source = typeof args.source === "string" ? args.source : sourcePath(args.source);
    super(
      copyToRemoteShim,
      name,
      { ...withOutputs(copyToRemoteOutputNames, args), source, connection: pulumi.secret(args.connection) },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "CopyToRemote",
    );
  }
}
