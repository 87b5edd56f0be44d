import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { buildIdentifyRequest, parseIdentifyResponse, parseProductVersion } from "../../provider/src/wsman/identify.js";
import { buildIdentifyResponse, isIdentifyRequest } from "../../provider/src/testing/wsman/identify.js";
import { NS } from "../../provider/src/wsman/namespaces.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { ProtocolError } from "../../provider/src/errors.js";
import { canonXml } from "./wsman-xml-helpers.js";

const SPNEGO = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos";

void describe("Identify", () => {
  void test("the request has no addressing headers and a wsmid:Identify body", () => {
    const env = parseEnvelope(buildIdentifyRequest());
    assert.equal(env.action, undefined);
    assert.equal(env.messageId, undefined);
    assert.equal(env.to, undefined);
    assert.equal(env.header.children.length, 0);
    assert.deepEqual(env.body.children.map((c) => [c.ns, c.local]), [[NS.wsmid, "Identify"]]);
    assert.equal(isIdentifyRequest(buildIdentifyRequest()), true);
    const other = buildRequest({ to: "http://h/wsman", action: "urn:x", resourceUri: "urn:r" }).xml;
    assert.equal(isIdentifyRequest(other), false);
  });

  void test("the response is what Windows sends, and parses back", () => {
    const xml = buildIdentifyResponse({
      protocolVersion: NS.w,
      productVendor: "Microsoft Corporation",
      productVersion: "OS: 10.0.17763 SP: 0.0 Stack: 3.0",
      securityProfiles: [SPNEGO],
    });
    const windows =
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xml:lang="en-US"><s:Header/><s:Body>` +
      `<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">` +
      `<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>` +
      `<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>` +
      `<wsmid:ProductVersion>OS: 10.0.17763 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>` +
      `<wsmid:SecurityProfiles><wsmid:SecurityProfileName>${SPNEGO}</wsmid:SecurityProfileName></wsmid:SecurityProfiles>` +
      `</wsmid:IdentifyResponse></s:Body></s:Envelope>`;
    assert.deepEqual(canonXml(xml), canonXml(windows));
    assert.ok(xml.startsWith(`<s:Envelope xml:lang="en-US" xmlns:s="${NS.s}"><s:Header></s:Header><s:Body>`), xml);
    const anonymous = buildIdentifyResponse({ protocolVersion: NS.w, productVendor: "Microsoft Corporation", productVersion: "OS: 0.0.0 SP: 0.0 Stack: 2.0", anonymous: true });
    assert.ok(anonymous.startsWith(`<s:Envelope xmlns:s="${NS.s}"><s:Header/><s:Body>`), anonymous);
    assert.deepEqual(parseIdentifyResponse(xml), {
      protocolVersion: NS.w,
      productVendor: "Microsoft Corporation",
      productVersion: "OS: 10.0.17763 SP: 0.0 Stack: 3.0",
      securityProfiles: [SPNEGO],
    });
  });

  void test("a response with other prefixes and no security profiles (WinRM 2.0)", () => {
    const xml =
      `<e:Envelope xmlns:e="${NS.s}"><e:Header/><e:Body><IdentifyResponse xmlns="${NS.wsmid}">` +
      `<ProtocolVersion>${NS.w}</ProtocolVersion><ProductVendor>Microsoft Corporation</ProductVendor>` +
      `<ProductVersion>OS: 6.1.7601 SP: 1.0 Stack: 2.0</ProductVersion></IdentifyResponse></e:Body></e:Envelope>`;
    const r = parseIdentifyResponse(xml);
    assert.deepEqual(r.securityProfiles, []);
    assert.deepEqual(parseProductVersion(r.productVersion), { os: "6.1.7601", sp: "1.0", stack: "2.0" });
  });

  void test("parseProductVersion", () => {
    assert.deepEqual(parseProductVersion("OS: 10.0.17763 SP: 0.0 Stack: 3.0"), { os: "10.0.17763", sp: "0.0", stack: "3.0" });
    assert.deepEqual(parseProductVersion("OS: 5.2.3790 SP: 2.0 Stack: 1.1"), { os: "5.2.3790", sp: "2.0", stack: "1.1" });
    assert.throws(() => parseProductVersion("Windows Server 2019"), ProtocolError);
    assert.throws(() => parseIdentifyResponse(`<s:Envelope xmlns:s="${NS.s}"><s:Body/></s:Envelope>`), ProtocolError);
  });
});
