/**
 * The tarball (`npm pack`) in a project laid out exactly as `pulumi new typescript` lays it out (CommonJS,
 * moduleResolution node), with the pinned @pulumi/pulumi (the engine's release): preview and up on the real CLI
 * against an emulated host, and every ```ts block of README.md type-checked against the installed package
 * (test/e2e/installVariant.ts).
 */
import { installVariantTest, PINNED_SDK } from "./installVariant.js";

installVariantTest({ name: "tarball, pulumi new typescript (CommonJS), pinned SDK", kind: "commonjs", sdk: PINNED_SDK, source: "tarball", readme: true });
