import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  CONFIG_PATHS,
  configResourceUri,
  parseConfigDocument,
  renderConfigDocument,
  type ConfigTree,
} from "../../provider/src/wsman/config.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { ACTION, NS, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { attr, parseEnvelope, parseXml } from "../../provider/src/wsman/parse.js";
import { ConfigurationError, ProtocolError } from "../../provider/src/errors.js";
import { nullProto } from "./wsman-xml-helpers.js";

const SERVICE: ConfigTree = {
  RootSDDL: "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)",
  MaxConcurrentOperations: "4294967295",
  MaxConcurrentOperationsPerUser: "1500",
  EnumerationTimeoutms: "240000",
  MaxConnections: "300",
  MaxPacketRetrievalTimeSeconds: "120",
  AllowUnencrypted: "false",
  Auth: { Basic: "true", Kerberos: "true", Negotiate: "true", Certificate: "true", CredSSP: "true", CbtHardeningLevel: "Relaxed" },
  DefaultPorts: { HTTP: "5985", HTTPS: "5986" },
  IPv4Filter: "*",
  IPv6Filter: "*",
  EnableCompatibilityHttpListener: "false",
  EnableCompatibilityHttpsListener: "false",
  CertificateThumbprint: "",
  AllowRemoteAccess: "true",
};

void describe("config resources (MS-WSMV 4.2.1)", () => {
  void test("paths map to resource URIs and root elements", () => {
    assert.equal(configResourceUri("winrm/config"), "http://schemas.microsoft.com/wbem/wsman/1/config");
    assert.equal(configResourceUri("winrm/config/service"), RESOURCE_URI.configService);
    assert.equal(configResourceUri("WinRM/Config/Service/Auth"), RESOURCE_URI.configServiceAuth);
    assert.equal(configResourceUri("winrm/config/client/"), RESOURCE_URI.configClient);
    assert.equal(configResourceUri("winrm/config/winrs"), RESOURCE_URI.configWinrs);
    assert.equal(CONFIG_PATHS["winrm/config"].root, "Config");
    assert.equal(CONFIG_PATHS["winrm/config/service"].root, "Service");
    assert.equal(CONFIG_PATHS["winrm/config/service/auth"].root, "Auth");
    assert.equal(CONFIG_PATHS["winrm/config/client"].root, "Client");
    assert.equal(CONFIG_PATHS["winrm/config/winrs"].root, "Winrs");
    assert.throws(() => configResourceUri("winrm/config/listener"), ConfigurationError);
  });

  void test("render: root in the resource namespace with xml:lang, children in the same namespace, order kept", () => {
    const root = parseXml(renderConfigDocument("winrm/config/service", SERVICE));
    assert.equal(root.ns, RESOURCE_URI.configService);
    assert.equal(root.local, "Service");
    assert.equal(attr(root, "lang", NS.xml), "en-US");
    assert.deepEqual(root.children.map((c) => c.local), Object.keys(SERVICE));
    assert.ok(root.children.every((c) => c.ns === RESOURCE_URI.configService));
    const auth = root.children.find((c) => c.local === "Auth");
    assert.ok(auth?.children.every((c) => c.ns === RESOURCE_URI.configService));
    const bare = parseXml(renderConfigDocument("winrm/config/service", SERVICE, { xmlLang: false }));
    assert.equal(attr(bare, "lang", NS.xml), undefined);
    assert.equal(renderConfigDocument("winrm/config/service", SERVICE, {}), renderConfigDocument("winrm/config/service", SERVICE));
  });

  void test("round trip through a GetResponse envelope keeps values and order", () => {
    for (const [path, tree] of [
      ["winrm/config/service", SERVICE],
      ["winrm/config/service/auth", SERVICE.Auth as ConfigTree],
      ["winrm/config", { MaxEnvelopeSizekb: "500", MaxTimeoutms: "60000", Service: SERVICE, Winrs: { IdleTimeout: "7200000" } }],
      ["winrm/config/client", { NetworkDelayms: "5000", TrustedHosts: "a<b>&c,d" }],
      ["winrm/config/winrs", { AllowRemoteShellAccess: "true", MaxMemoryPerShellMB: "1024" }],
    ] as [string, ConfigTree][]) {
      const xml = buildResponse({ action: ACTION.getResponse, relatesTo: "uuid:1", body: renderConfigDocument(path, tree) });
      const doc = parseConfigDocument(parseEnvelope(xml).body);
      assert.equal(doc.path, path);
      assert.deepEqual(doc.tree, nullProto(tree));
      assert.deepEqual(JSON.stringify(doc.tree), JSON.stringify(tree), "order");
    }
  });

  void test("a Put request body parses on the server side", () => {
    const { xml } = buildRequest({
      to: "http://h:5985/wsman",
      action: ACTION.put,
      resourceUri: configResourceUri("winrm/config/service"),
      body: renderConfigDocument("winrm/config/service", { AllowUnencrypted: "true" }),
    });
    const env = parseEnvelope(xml);
    assert.equal(env.resourceUri, RESOURCE_URI.configService);
    assert.deepEqual(parseConfigDocument(env.body), { path: "winrm/config/service", tree: nullProto({ AllowUnencrypted: "true" }) });
  });

  void test("documents with another prefix parse; unknown roots are refused", () => {
    const foreign =
      `<c:Auth xmlns:c="${RESOURCE_URI.configServiceAuth}" xml:lang="en-US"><c:Basic>false</c:Basic>` +
      `<c:CbtHardeningLevel>Strict</c:CbtHardeningLevel></c:Auth>`;
    assert.deepEqual(parseConfigDocument(parseXml(foreign)), {
      path: "winrm/config/service/auth",
      tree: nullProto({ Basic: "false", CbtHardeningLevel: "Strict" }),
    });
    // the client auth document has the same root name in another namespace
    const clientAuth = `<cfg:Auth xmlns:cfg="${RESOURCE_URI.configClientAuth}"><cfg:Digest>true</cfg:Digest></cfg:Auth>`;
    assert.equal(parseConfigDocument(parseXml(clientAuth)).path, "winrm/config/client/auth");
    assert.throws(() => parseConfigDocument(parseXml(`<cfg:Service xmlns:cfg="${RESOURCE_URI.config}"/>`)), ProtocolError);
    assert.throws(() => parseConfigDocument(parseXml(`<s:Body xmlns:s="${NS.s}"/>`)), ProtocolError);
    assert.throws(() => renderConfigDocument("winrm/config", { "bad key": "x" }), ProtocolError);
  });
});
