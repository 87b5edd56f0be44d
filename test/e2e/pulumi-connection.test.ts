/**
 * On the real Pulumi CLI v3.248.0, one project, several steps: what a running RemoteCommand shows, and what a
 * connection change does (pulumi-preview-refusals.test.ts runs the same lab for `preview`).
 *
 * - `pulumi up` of a RemoteCommand that prints a line a second for five seconds shows the lines while it runs: each
 *   is timed as the CLI prints it, and they arrive spread over seconds, not together at the end.
 * - A rotated password, then a new timeout: `pulumi up` updates the three resources and the host runs no command at
 *   all (no RemoteCommand command, no netsh / proxycfg) and receives no WS-Management Command.
 * - Another endpoint: every resource is replaced, created on the new host; the old one's delete runs on the old host
 *   with the rotated password the state now holds.
 * - A host that starts listening 5 s after `pulumi up` began is reached by dial retries, through squid; each create
 *   runs once.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { ConnectionLab, PROJECT, ROTATED_PASSWORD, STACK, startHost, TICKER, USER, type LabHost } from "./connectionLab.js";
import { labMissing } from "./fleetLab.js";

const skip = labMissing();

/** A port nothing listens on (bound by the OS on 127.0.0.1, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("live command output and connection changes on the real Pulumi CLI", { skip }, () => {
  let lab: ConnectionLab;
  before(async () => {
    lab = await ConnectionLab.start();
  });
  after(async () => {
    await lab?.stop();
  });

  test("up shows the RemoteCommand's lines while it runs; a rotated password and a new timeout run nothing; another endpoint replaces", async () => {
    const { web01, web02 } = lab;
    // 1. Create: the ticker's lines, timed as the CLI prints them.
    lab.writeSpec({ connection: lab.connectionTo(web01), ticker: TICKER });
    const started = Date.now();
    const seen = new Map<number, number>();
    const created = await lab.up((line) => {
      const m = / tick (\d)\s*$/.exec(line);
      if (m !== null && !seen.has(Number(m[1]))) seen.set(Number(m[1]), Date.now() - started);
    });
    assert.match(created.stdout, /4 created/);
    assert.deepEqual([...seen.keys()].sort(), [1, 2, 3, 4, 5], `every tick shown:\n${created.stdout}`);
    const first = seen.get(1) ?? 0;
    const last = seen.get(5) ?? 0;
    // About four seconds apart (a ping second between ticks); all at the end would be milliseconds apart.
    assert.ok(last - first >= 2_500, `ticks 1 and 5 printed ${last - first} ms apart:\n${created.stdout}`);
    // Shown as the engine relays a provider's output: under the stack, prefixed with phase and host.
    const host01 = new URL(web01.emulator.url).host.replace(/\./g, "\\.");
    assert.match(created.stdout, new RegExp(`pulumi:pulumi:Stack ${PROJECT}-${STACK} creating .*RemoteCommand create on ${host01}: tick 1`));
    assert.ok(web01.commands.includes(TICKER));

    // 2. The password is rotated on the hosts and in the program: state updated, nothing run, no Command sent.
    lab.users[0] = { username: USER, password: ROTATED_PASSWORD };
    let ran = web01.commands.length;
    let requests = web01.emulator.requests.length;
    lab.writeSpec({ connection: lab.connectionTo(web01), ticker: TICKER });
    const rotated = await lab.up();
    assert.match(rotated.stdout, /3 updated/);
    assert.deepEqual(web01.commands.slice(ran), [], "no command ran on the host (no RemoteCommand command, no netsh / proxycfg)");
    assert.ok(!ConnectionLab.actionsSince(web01, requests).some((a) => a.endsWith("/Command")), "no WS-Management Command");
    assert.ok(!rotated.stdout.includes(ROTATED_PASSWORD) && !lab.project.stateFile(STACK, PROJECT).includes(ROTATED_PASSWORD));

    // 3. A new timeout: the same.
    ran = web01.commands.length;
    requests = web01.emulator.requests.length;
    lab.writeSpec({ connection: lab.connectionTo(web01, { timeouts: { connectMs: 20_000 } }), ticker: TICKER });
    const timeout = await lab.up();
    assert.match(timeout.stdout, /3 updated/);
    assert.deepEqual(web01.commands.slice(ran), []);
    assert.ok(!ConnectionLab.actionsSince(web01, requests).some((a) => a.endsWith("/Command")));

    // 4. Another endpoint: every resource is replaced. The new host runs the creates; the old host runs the deletes,
    // reached with the rotated password kept in the state.
    ran = web01.commands.length;
    lab.writeSpec({ connection: lab.connectionTo(web02, { timeouts: { connectMs: 20_000 } }), ticker: TICKER });
    const moved = await lab.up();
    assert.match(moved.stdout, /3 replaced/);
    assert.ok(web02.commands.includes(TICKER), "the ticker ran on the new host");
    assert.ok(web02.commands.some((c) => /netsh winhttp set proxy/i.test(c)), "the proxy was set on the new host");
    assert.ok(web01.commands.slice(ran).includes("echo bye"), "the old resource's delete ran on the old host");

    // 5. A host that is still starting: it listens only 5 s after `pulumi up` began. Every resource moves there (a new
    // endpoint), through squid, whose CONNECT fails while nothing listens; the dial is retried
    // (timeouts.connectAttempts, default 10) until the host answers, and each create runs once.
    const port = await unusedPort();
    let web03: LabHost | undefined;
    const starting = setTimeout(() => {
      void startHost("WEB-03", lab.users, port).then((h) => (web03 = h));
    }, 5_000);
    try {
      ran = web02.commands.length;
      const lateStarted = Date.now();
      lab.writeSpec({ connection: { ...lab.connectionTo(web02), endpoint: `http://127.0.0.1:${port}/wsman` }, ticker: TICKER });
      const late = await lab.up();
      assert.match(late.stdout, /3 replaced/);
      assert.ok(Date.now() - lateStarted >= 5_000, "up waited for the host");
      assert.ok(web03 !== undefined, "the late host started");
      assert.equal(web03.commands.filter((c) => c === TICKER).length, 1, "the create command ran once on the late host");
      assert.ok(web02.commands.slice(ran).includes("echo bye"), "the old resource's delete ran on the previous host");

      await lab.project.ok(["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK]);
      assert.ok(web03.commands.includes("echo bye"));
    } finally {
      clearTimeout(starting);
      await web03?.emulator.close();
    }
  });
});
