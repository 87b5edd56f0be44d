/**
 * `npm install git+file://` of a fresh clone of HEAD (npm installs the clone's devDependencies and runs `prepare`,
 * which builds what the package ships) in a project laid out exactly as `pulumi new typescript` lays it out,
 * pinned @pulumi/pulumi: preview and up on the real CLI against an emulated host (test/e2e/installVariant.ts).
 */
import { installVariantTest, PINNED_SDK } from "./installVariant.js";

installVariantTest({ name: "git+file:// of a fresh clone, pulumi new typescript (CommonJS), pinned SDK", kind: "commonjs", sdk: PINNED_SDK, source: "git" });
