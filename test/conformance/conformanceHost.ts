/**
 * The one place the conformance suite reaches the emulated Windows host (so it can be re-pointed to the packaged
 * entry in one line). A host with Basic over HTTP allowed, as the recordings were made (pypsrp's tests ran with
 * AllowUnencrypted and Basic on), answering raw recorded requests.
 */

import * as http from "node:http";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";

export interface ConformanceHost {
  url: string;
  post(xml: string): Promise<{ status: number; xml: string }>;
  close(): Promise<void>;
}

const USER = "vagrant";
const PASSWORD = "Conformance1!";

export async function startConformanceHost(): Promise<ConformanceHost> {
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
  host.config.set("winrm/config/service", { AllowUnencrypted: "true" });
  host.config.set("winrm/config/service/auth", { Basic: "true" });
  const emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], maxOperationTimeoutMs: 2000 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
  return {
    url: emu.url,
    post: (xml) =>
      new Promise((resolve, reject) => {
        const body = Buffer.from(xml, "utf8");
        const req = http.request(
          emu.url,
          {
            method: "POST",
            agent,
            headers: { "Content-Type": "application/soap+xml;charset=UTF-8", "Content-Length": body.length, Authorization: authorization },
            timeout: 30_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, xml: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
          },
        );
        req.on("timeout", () => req.destroy(new Error("conformance host: no answer in 30 s")));
        req.on("error", reject);
        req.end(body);
      }),
    close: async () => {
      agent.destroy();
      await emu.close();
    },
  };
}
