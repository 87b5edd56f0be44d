/**
 * Entry point of the `pulumi-resource-winrmproxy` plugin (bin/pulumi-resource-winrmproxy starts Node on it): serves
 * the provider; the engine stops the process when the deployment ends.
 */
import { readFileSync } from "node:fs";
import { serve } from "./server.js";

/** The plugin's version: the package's (dist/provider/src/native/main.js -> the package root). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "0.0.0";
}

await serve(packageVersion(), process.argv.slice(2));
