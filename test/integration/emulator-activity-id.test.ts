/**
 * p:ActivityId: an emulated host set up with `activityIds` writes one in every SOAP response header right after
 * a:MessageID (successes and faults, as the Windows hosts that send it do), the client reads it off a fault, and a
 * host without the setting writes none (as the other recorded hosts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { faultFromEnvelope } from "../../provider/src/wsman/faults.js";
import { ACTION, NS, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";
import { WSManFaultError } from "../../provider/src/errors.js";

const USER = "tester";
const PASSWORD = "Activity1!";

async function start(activityIds: boolean): Promise<RunningEmulatedHost> {
  return startEmulatedHost({
    users: [{ username: USER, password: PASSWORD }],
    config: { "winrm/config/service": { AllowUnencrypted: "true" }, "winrm/config/service/auth": { Basic: "true" } },
    ...(activityIds ? { activityIds: true } : {}),
  });
}

function post(url: string, xml: string): Promise<{ status: number; xml: string }> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(xml, "utf8");
    const req = http.request(url, {
      method: "POST",
      agent: false,
      timeout: 10_000,
      headers: {
        "Content-Type": "application/soap+xml;charset=UTF-8",
        "Content-Length": body.length,
        Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, xml: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 10 s")));
    req.on("error", reject);
    req.end(body);
  });
}

const createShell = (to: string): string =>
  buildRequest({
    to, action: ACTION.create, resourceUri: RESOURCE_URI.cmd,
    body: `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`,
  }).xml;
const receiveOnNoShell = (to: string): string =>
  buildRequest({
    to, action: ACTION.receive, resourceUri: RESOURCE_URI.cmd, selectors: { ShellId: "00000000-0000-0000-0000-000000000000" },
    body: `<rsp:Receive><rsp:DesiredStream>stdout stderr</rsp:DesiredStream></rsp:Receive>`,
  }).xml;

function headerNames(xml: string): string[] {
  return parseEnvelope(xml).header.children.map((c) => `${c.ns === NS.p ? "p" : "a"}:${c.local}`);
}

void test("a host with activityIds writes p:ActivityId after a:MessageID in answers and faults; the client reads it", async () => {
  const emu = await start(true);
  try {
    const created = await post(emu.url, createShell(emu.url));
    assert.equal(created.status, 200);
    assert.deepEqual(headerNames(created.xml), ["a:Action", "a:MessageID", "p:ActivityId", "a:To", "a:RelatesTo"]);
    const fault = await post(emu.url, receiveOnNoShell(emu.url));
    assert.equal(fault.status, 500);
    assert.deepEqual(headerNames(fault.xml), ["a:Action", "a:MessageID", "p:ActivityId", "a:To", "a:RelatesTo"]);
    const err = faultFromEnvelope(parseEnvelope(fault.xml), 500);
    assert.ok(err instanceof WSManFaultError);
    assert.match(err.activityId ?? "", /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  } finally {
    await emu.close();
  }
});

void test("a host without the setting writes no p:ActivityId", async () => {
  const emu = await start(false);
  try {
    const created = await post(emu.url, createShell(emu.url));
    assert.deepEqual(headerNames(created.xml), ["a:Action", "a:MessageID", "a:To", "a:RelatesTo"]);
    const fault = await post(emu.url, receiveOnNoShell(emu.url));
    assert.deepEqual(headerNames(fault.xml), ["a:Action", "a:MessageID", "a:To", "a:RelatesTo"]);
  } finally {
    await emu.close();
  }
});
