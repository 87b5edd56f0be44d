/**
 * The generated args (sdk/src/generated, with their documentation) against the zod schemas they are generated from,
 * at the type level: each resource's args and the connection's nested objects are mutually assignable with ArgsOf of
 * the schema's z.input (what a program may write, Inputs at any depth), and once unwrapped they have the same fields
 * at every depth, optional or not, with the same types. A drift between the two fails the build (tsc) with the
 * assertion below that broke; schema-model.test.ts compiles the same check against args with a field dropped and
 * sees it fail.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../../provider/src/connection.js";
import type {
  CopyToRemoteDeclaredInputs,
  RemoteCommandDeclaredInputs,
  ServiceAuthDeclared,
  WinHttpProxySettingDeclaredInputs,
  WinRMProxyConfigDeclaredInputs,
} from "../../provider/src/resources/schemas.js";
import type { ConnectionArgs, ConnectionAuthArgs, ConnectionProxyArgs } from "../../sdk/src/generated/connection.js";
import type { CopyToRemoteArgs } from "../../sdk/src/generated/copyToRemote.js";
import type { RemoteCommandArgs } from "../../sdk/src/generated/remoteCommand.js";
import type { WinHttpProxySettingArgs } from "../../sdk/src/generated/winHttpProxySetting.js";
import type { ServiceAuthArgs, WinRMProxyConfigArgs } from "../../sdk/src/generated/winRMProxyConfig.js";
import type { ArgsOf } from "../../sdk/src/types.js";
import { GENERATED_AGREES_WITH_ZOD, type Agree } from "./sdkArgsAgreement.js";

type ConnectionAuthInput = ConnectionInput["auth"];
type ConnectionProxyInput = Extract<NonNullable<ConnectionInput["proxy"]>, object>;

// Each line fails to compile ("Type 'true' does not satisfy the expected type 'never'") when its two sides drift apart:
// a zod schema changed and sdk/src/generated was not regenerated. Fix: `npm run gen:sdk`.
export const checks = {
  winHttpProxySetting: true satisfies Agree<WinHttpProxySettingArgs, WinHttpProxySettingDeclaredInputs>,
  winRMProxyConfig: true satisfies Agree<WinRMProxyConfigArgs, WinRMProxyConfigDeclaredInputs>,
  serviceAuth: true satisfies Agree<ServiceAuthArgs, ServiceAuthDeclared>,
  remoteCommand: true satisfies Agree<RemoteCommandArgs, RemoteCommandDeclaredInputs>,
  copyToRemote: true satisfies Agree<CopyToRemoteArgs, CopyToRemoteDeclaredInputs>,
  connection: true satisfies Agree<ConnectionArgs, ConnectionInput>,
  connectionAuth: true satisfies Agree<ConnectionAuthArgs, ConnectionAuthInput>,
  connectionProxy: true satisfies Agree<ConnectionProxyArgs, ConnectionProxyInput>,
} as const;

// And a plain z.input value is a valid args value, so no program that typed before stops typing.
const plainArgs: RemoteCommandDeclaredInputs = { connection: { endpoint: "http://h:5985/wsman", auth: { username: "u" } }, create: "x" };
export const asArgs: RemoteCommandArgs = plainArgs;
export const withOutputs: ArgsOf<RemoteCommandDeclaredInputs> = { ...plainArgs, create: {} as pulumi.Output<string> };

test("the generated args agree with the zod input types (checked by tsc when this file compiles)", () => {
  assert.equal(GENERATED_AGREES_WITH_ZOD, true);
  assert.deepEqual(Object.values(checks), [true, true, true, true, true, true, true, true]);
});
