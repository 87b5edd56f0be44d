/**
 * The gRPC runtime and the Pulumi protocol messages, loaded from the copies @pulumi/pulumi itself uses (its own
 * dependencies, resolved from its package directory), so the messages this provider builds are the classes the
 * generated service definitions serialize, whatever npm hoisted where.
 */
import { createRequire } from "node:module";

const fromHere = createRequire(import.meta.url);
const fromPulumi = createRequire(fromHere.resolve("@pulumi/pulumi/package.json"));

export const grpc = fromPulumi("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
export const structproto = fromPulumi("google-protobuf/google/protobuf/struct_pb.js") as typeof import("google-protobuf/google/protobuf/struct_pb.js");
export const emptyproto = fromPulumi("google-protobuf/google/protobuf/empty_pb.js") as typeof import("google-protobuf/google/protobuf/empty_pb.js");
export const provproto = fromPulumi("@pulumi/pulumi/proto/provider_pb.js") as typeof import("@pulumi/pulumi/proto/provider_pb.js");
export const provrpc = fromPulumi("@pulumi/pulumi/proto/provider_grpc_pb.js") as typeof import("@pulumi/pulumi/proto/provider_grpc_pb.js");
export const plugproto = fromPulumi("@pulumi/pulumi/proto/plugin_pb.js") as typeof import("@pulumi/pulumi/proto/plugin_pb.js");
export const engineproto = fromPulumi("@pulumi/pulumi/proto/engine_pb.js") as typeof import("@pulumi/pulumi/proto/engine_pb.js");
export const enginerpc = fromPulumi("@pulumi/pulumi/proto/engine_grpc_pb.js") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb.js");
