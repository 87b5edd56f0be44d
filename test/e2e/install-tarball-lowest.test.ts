/**
 * The tarball (`npm pack`) in a project laid out exactly as `pulumi new typescript` lays it out (CommonJS,
 * moduleResolution node), with the LOWEST @pulumi/pulumi of the package's peerDependencies range: preview, up and
 * destroy on the real CLI against an emulated host (test/e2e/installVariant.ts). Proves the lower end of the range.
 */
import { installVariantTest, LOWEST_SDK } from "./installVariant.js";

installVariantTest({ name: "tarball, pulumi new typescript (CommonJS), lowest SDK", kind: "commonjs", sdk: LOWEST_SDK, source: "tarball", destroy: true });
