/**
 * The tarball (`npm pack`) in an ES-module project ("type": "module", module/moduleResolution nodenext, ts-node for
 * the Pulumi runtime's ESM loader), pinned @pulumi/pulumi: preview and up on the real CLI against an emulated host
 * (test/e2e/installVariant.ts).
 */
import { installVariantTest, PINNED_SDK } from "./installVariant.js";

installVariantTest({ name: "tarball, ES-module project (nodenext), pinned SDK", kind: "esm", sdk: PINNED_SDK, source: "tarball" });
