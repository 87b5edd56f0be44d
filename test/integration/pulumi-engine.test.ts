// The pinned Pulumi engine (scripts/pulumi-engine.sh, docs/pulumi-engine.md) runs a dynamic-resource program the way
// `npm run pulumi` runs the project: the CLI reports the @pulumi/pulumi release, and a program whose dynamic resource
// keeps a file goes through up, preview --refresh --expect-no-changes (clean, then with the file changed behind
// Pulumi's back) and destroy, on a temporary file backend. The file on disk proves the engine really ran the provider
// through the pulumi-resource-pulumi-nodejs launcher and the v3.68.0 language host.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PulumiProject, installedPulumiSdkVersion, pulumiEngine } from "./pulumiEngineHarness.js";

const engine = pulumiEngine();
const skip = "skip" in engine ? engine.skip : false;

const CONTENT = "written by a dynamic resource on the pinned engine\n";

// Each provider method requires what it uses inside itself: the closure Pulumi serializes captures nothing.
const PROGRAM = `"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const fileProvider = {
  async create(inputs) {
    require("node:fs").writeFileSync(inputs.path, inputs.content);
    return { id: inputs.path, outs: { path: inputs.path, content: inputs.content } };
  },
  async read(id, props) {
    return { id, props: { ...props, path: id, content: require("node:fs").readFileSync(id, "utf8") } };
  },
  async diff(_id, olds, news) {
    const replaces = olds.path === news.path ? [] : ["path"];
    return { changes: replaces.length > 0 || olds.content !== news.content, replaces, deleteBeforeReplace: true };
  },
  async update(_id, _olds, news) {
    require("node:fs").writeFileSync(news.path, news.content);
    return { outs: { path: news.path, content: news.content } };
  },
  async delete(id) {
    require("node:fs").rmSync(id, { force: true });
  },
};

const file = new pulumi.dynamic.Resource(fileProvider, "marker", {
  path: path.join(__dirname, "marker.txt"),
  content: ${JSON.stringify(CONTENT)},
});
exports.markerPath = file.path;
`;

describe("the pinned Pulumi engine", { skip }, () => {
  let project: PulumiProject;
  before(() => {
    project = new PulumiProject({ name: "engine-check", program: PROGRAM });
  });
  after(() => project?.dispose());

  test("pulumi version is the @pulumi/pulumi release, v3.248.0", async () => {
    const r = await project.ok(["version"]);
    assert.equal(r.stdout.trim(), `v${installedPulumiSdkVersion()}`);
    assert.equal(r.stdout.trim(), "v3.248.0");
  });

  test("a dynamic resource goes through up, preview --refresh --expect-no-changes and destroy", async () => {
    const marker = join(project.projectDir, "marker.txt");
    await project.ok(["stack", "init", "engine", "--non-interactive"]);

    const up = await project.ok(["up", "--yes", "--skip-preview", "--non-interactive"]);
    assert.equal(readFileSync(marker, "utf8"), CONTENT, "create ran in the dynamic provider");
    assert.match(up.stdout, /2 created/);
    const state = readFileSync(join(project.backendDir, ".pulumi", "stacks", "engine-check", "engine.json"), "utf8");
    assert.match(state, /"pulumi-nodejs:dynamic:Resource"/);

    await project.ok(["preview", "--refresh", "--expect-no-changes", "--non-interactive"]);

    // Behind Pulumi's back: read returns the live content, so the refreshing preview must now see a change.
    writeFileSync(marker, "changed out of band\n");
    const drift = await project.run(["preview", "--refresh", "--expect-no-changes", "--non-interactive", "--diff"]);
    assert.notEqual(drift.code, 0, `preview --expect-no-changes passed despite the drift:\n${drift.stdout}`);
    assert.match(drift.stdout + drift.stderr, /content/);
    assert.match(drift.stdout + drift.stderr, /no changes were expected.* but changes were proposed/i);

    await project.ok(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    assert.equal(existsSync(marker), false, "delete ran in the dynamic provider");
  });
});
