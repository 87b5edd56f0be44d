import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { faultFromEnvelope } from "../../provider/src/wsman/faults.js";
import { buildFault, FAULT_REASON } from "../../provider/src/testing/wsman/fault.js";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { ACTION, ANONYMOUS, NS } from "../../provider/src/wsman/namespaces.js";
import { attr, parseEnvelope, parseXml } from "../../provider/src/wsman/parse.js";
import { OperationTimeoutFault, WSManFaultError, WinRMError } from "../../provider/src/errors.js";
import { canonXml } from "./wsman-xml-helpers.js";

// A Receive timeout as Server 2022 sends it (captured in pypsrp's test suite).
const SERVER2022_TIMEOUT = `<s:Envelope xml:lang="en-US"
    xmlns:s="http://www.w3.org/2003/05/soap-envelope"
    xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
    xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"
    xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing"
    xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"
    xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
    xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">
    <s:Header>
        <a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>
        <a:MessageID>uuid:D7C4A9B1-9A18-4048-B346-248D62A6078D</a:MessageID>
        <a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>
        <a:RelatesTo>uuid:7340FE92-C302-42E5-A337-1918908654F8</a:RelatesTo>
    </s:Header>
    <s:Body>
        <s:Fault>
            <s:Code>
                <s:Value>s:Receiver</s:Value>
                <s:Subcode>
                    <s:Value>w:TimedOut</s:Value>
                </s:Subcode>
            </s:Code>
            <s:Reason>
                <s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text>
            </s:Reason>
            <s:Detail>
                <f:WSManFault
                    xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="server2022.domain.test">
                    <f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message>
                </f:WSManFault>
            </s:Detail>
        </s:Fault>
    </s:Body>
</s:Envelope>`;

const TIMEOUT_REASON = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.";

void describe("faultFromEnvelope", () => {
  void test("the OperationTimeout fault maps to OperationTimeoutFault with code 2150858793", () => {
    const f = faultFromEnvelope(parseEnvelope(SERVER2022_TIMEOUT), 500);
    assert.ok(f instanceof OperationTimeoutFault);
    assert.ok(f instanceof WSManFaultError);
    assert.ok(f instanceof WinRMError);
    assert.equal(f.code, "WINRM_OPERATION_TIMEOUT");
    assert.equal(f.wsmanCode, 2150858793);
    assert.equal(f.wsmanCode, OperationTimeoutFault.WSMAN_CODE);
    assert.equal(f.faultCode, "s:Receiver");
    assert.equal(f.subcode, "w:TimedOut");
    assert.equal(f.machine, "server2022.domain.test");
    assert.equal(f.httpStatus, 500);
    assert.equal(f.reason, TIMEOUT_REASON);
  });

  void test("foreign prefixes (env:, wsa:, wsman:, mf:) give the same result, QNames normalised", () => {
    const foreign = SERVER2022_TIMEOUT.replace(/\bs:/g, "env:")
      .replace(/xmlns:s=/g, "xmlns:env=")
      .replace(/\ba:/g, "wsa:")
      .replace(/xmlns:a=/g, "xmlns:wsa=")
      .replace(/\bw:/g, "wsman:")
      .replace(/xmlns:w=/g, "xmlns:wsman=")
      .replace(/\bf:/g, "mf:")
      .replace(/xmlns:f=/g, "xmlns:mf=");
    assert.ok(foreign.includes("<wsman:") === false && foreign.includes("wsman:TimedOut"));
    const f = faultFromEnvelope(parseEnvelope(foreign), 500);
    assert.ok(f instanceof OperationTimeoutFault);
    assert.equal(f.faultCode, "s:Receiver");
    assert.equal(f.subcode, "w:TimedOut");
    assert.equal(f.machine, "server2022.domain.test");
  });

  void test("other faults: plain WSManFaultError, innermost provider message", () => {
    const xml = `<s:Envelope xmlns:s="${NS.s}" xmlns:w="${NS.w}"><s:Body><s:Fault>
      <s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:SchemaValidationError</s:Value></s:Subcode></s:Code>
      <s:Reason><s:Text xml:lang="">The SOAP XML in the message does not match the corresponding XML schema definition. </s:Text></s:Reason>
      <s:Detail><f:WSManFault xmlns:f="${NS.f}" Code="2150859113" Machine="localhost"><f:Message>
        <f:ProviderFault provider="Config provider" path="%systemroot%\\system32\\WsmSvc.dll">
          <f:WSManFault xmlns:f="${NS.f}" Code="2150859113" Machine="inner"><f:Message>WinRM firewall exception will not work. </f:Message></f:WSManFault>
        </f:ProviderFault></f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`;
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.ok(f instanceof WSManFaultError);
    assert.ok(!(f instanceof OperationTimeoutFault));
    assert.equal(f.code, "WINRM_FAULT");
    assert.equal(f.wsmanCode, 2150859113);
    assert.equal(f.machine, "localhost");
    assert.equal(f.subcode, "w:SchemaValidationError");
    assert.equal(f.reason, "WinRM firewall exception will not work.");
  });

  void test("WMI errors take the code from MSFT_WmiError/error_Code", () => {
    const xml = `<s:Envelope xmlns:s="${NS.s}"><s:Body><s:Fault>
      <s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text>Reason text. </s:Text></s:Reason>
      <s:Detail><p:MSFT_WmiError xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError">
      <p:error_Code>2150859174</p:error_Code></p:MSFT_WmiError></s:Detail></s:Fault></s:Body></s:Envelope>`;
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.equal(f?.wsmanCode, 2150859174);
    assert.equal(f?.reason, "Reason text.");
    assert.equal(f?.subcode, undefined);
  });

  void test("a normal response is not a fault", () => {
    const env = parseEnvelope(buildResponse({ action: ACTION.deleteResponse, relatesTo: "uuid:1" }));
    assert.equal(faultFromEnvelope(env, 200), undefined);
  });
});

// MS-WSMV 2.2.4.41: a WSManFault whose f:Message holds an f:ProviderFault that nests a second WSManFault raised on
// another machine, with a w:FaultDetail and the response's p:ActivityId (values our own).
const NESTED_PROVIDER_FAULT = `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:p="${NS.p}">
  <s:Header><a:Action>${ACTION.fault}</a:Action><p:ActivityId>0C1D2E3F-0000-1111-2222-333344445555</p:ActivityId></s:Header>
  <s:Body><s:Fault>
    <s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</s:Value></s:Subcode></s:Code>
    <s:Reason><s:Text xml:lang="en-US">Generic sentence of the subcode. </s:Text></s:Reason>
    <s:Detail>
      <w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors</w:FaultDetail>
      <f:WSManFault xmlns:f="${NS.f}" Code="2150858843" Machine="gateway.example.test"><f:Message>
        <f:ProviderFault provider="Shell provider" path="%systemroot%\\system32\\WsmSvc.dll">
          <f:WSManFault xmlns:f="${NS.f}" Code="2150858844" Machine="10.0.0.7"><f:Message>The shell
             named in the selector is gone. </f:Message></f:WSManFault>
          <f:ExtendedError><q:Status xmlns:q="urn:example:ext" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><q:Operation>Lookup</q:Operation><q:Description xsi:nil="true"/></q:Status></f:ExtendedError>
        </f:ProviderFault></f:Message></f:WSManFault>
    </s:Detail></s:Fault></s:Body></s:Envelope>`;

void describe("fault detail, every level kept (MS-WSMV 2.2.4.41)", () => {
  void test("nested provider fault: each level's code and machine, provider name and path, FaultDetail, ActivityId", () => {
    const f = faultFromEnvelope(parseEnvelope(NESTED_PROVIDER_FAULT), 500);
    assert.ok(f instanceof WSManFaultError);
    assert.equal(f.detail, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors");
    assert.equal(f.activityId, "0C1D2E3F-0000-1111-2222-333344445555");
    assert.equal(f.action, ACTION.fault);
    assert.equal(f.soapReason, "Generic sentence of the subcode.");
    assert.equal(f.reason, "The shell named in the selector is gone.");
    assert.equal(f.machine, "gateway.example.test");
    assert.deepEqual(f.wsmanFault, {
      code: 2150858843,
      machine: "gateway.example.test",
      providerFault: {
        provider: "Shell provider",
        path: "%systemroot%\\system32\\WsmSvc.dll",
        extendedError: Object.assign(Object.create(null) as object, { Operation: "Lookup" }),
      },
      inner: { code: 2150858844, machine: "10.0.0.7", message: "The shell named in the selector is gone." },
    });
    assert.equal(f.wmiError, undefined);
    assert.equal(
      f.message,
      "WS-Management fault 2150858843 (0x8033805B) w:InvalidSelectors: The shell named in the selector is gone. " +
        "[http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors]",
    );
  });

  void test("provider text without a nested fault wins over the generic reason", () => {
    const xml = `<s:Envelope xmlns:s="${NS.s}" xmlns:w="${NS.w}"><s:Body><s:Fault>
      <s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value></s:Subcode></s:Code>
      <s:Reason><s:Text xml:lang="en-US">Something failed. </s:Text></s:Reason>
      <s:Detail><f:WSManFault xmlns:f="${NS.f}" Code="2147942402" Machine="h1"><f:Message><f:ProviderFault
        provider="Shell cmd plugin" path="p.dll">No such program here. </f:ProviderFault></f:Message></f:WSManFault>
      </s:Detail></s:Fault></s:Body></s:Envelope>`;
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.equal(f?.reason, "No such program here.");
    assert.equal(f?.soapReason, "Something failed.");
    assert.deepEqual(f?.wsmanFault?.providerFault, { provider: "Shell cmd plugin", path: "p.dll", text: "No such program here." });
    assert.equal(f?.wsmanFault?.inner, undefined);
    assert.equal(f?.detail, undefined);
    assert.doesNotMatch(f?.message ?? "", /\[/);
  });

  void test("WMI error: p:Message before s:Reason, MessageID, CIM fields, nil fields left out", () => {
    const xml = `<s:Envelope xmlns:s="${NS.s}" xmlns:w="${NS.w}"><s:Body><s:Fault>
      <s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:QuotaLimit</s:Value></s:Subcode></s:Code>
      <s:Reason><s:Text>A quota was passed. </s:Text></s:Reason>
      <s:Detail><p:MSFT_WmiError xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <p:CIMStatusCode>27</p:CIMStatusCode><p:ErrorSource xsi:nil="true"/>
        <p:Message>User u may hold 3 shells at once. </p:Message><p:MessageID>HRESULT 0x803381a5</p:MessageID>
        <p:__proto__>kept as data</p:__proto__>
        <p:error_Code>2150859173</p:error_Code></p:MSFT_WmiError></s:Detail></s:Fault></s:Body></s:Envelope>`;
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.ok(f);
    assert.equal(f.reason, "User u may hold 3 shells at once.");
    assert.equal(f.soapReason, "A quota was passed.");
    assert.equal(f.wsmanCode, 2150859173);
    assert.equal(f.wmiError?.message, "User u may hold 3 shells at once.");
    assert.equal(f.wmiError?.messageId, "HRESULT 0x803381a5");
    assert.equal(f.wmiError?.errorCode, 2150859173);
    assert.equal(f.wmiError?.cimStatusCode, 27);
    assert.equal(f.wmiError?.fields.ErrorSource, undefined);
    assert.equal(Object.getPrototypeOf(f.wmiError?.fields), null);
    assert.equal(f.wmiError?.fields.__proto__, "kept as data");
    assert.equal(f.wsmanFault, undefined);
    assert.match(f.message, /^WS-Management fault 2150859173 \(0x803381A5\) w:QuotaLimit: User u may hold 3 shells at once\.$/);
  });

  void test("a SOAP fault with no detail at all keeps its Reason (OMI-style)", () => {
    const xml = `<E:Envelope xmlns:E="${NS.s}" xmlns:m="${NS.w}"><E:Body><E:Fault><E:Code><E:Value>E:Receiver</E:Value>
      <E:Subcode><E:Value>m:InternalError</E:Value></E:Subcode></E:Code><E:Reason><E:Text xml:lang="en-US">bad call</E:Text>
      </E:Reason></E:Fault></E:Body></E:Envelope>`;
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.equal(f?.faultCode, "s:Receiver");
    assert.equal(f?.subcode, "w:InternalError");
    assert.equal(f?.reason, "bad call");
    assert.equal(f?.wsmanCode, undefined);
    assert.equal(f?.message, "WS-Management fault w:InternalError: bad call");
  });

  void test("a long host text is bounded in the message and whole on the field", () => {
    const long = "x".repeat(10_000);
    const xml = buildFault({ code: "s:Sender", subcode: "w:InvalidParameter", reason: "r", message: long, wsmanCode: 87, machine: "m" });
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.equal(f?.reason.length, 10_000);
    assert.ok((f?.message.length ?? 0) < 2_200);
    assert.equal(f?.wsmanFault?.message?.length, 10_000);
  });

  void test("a non-numeric or huge Code is not a number", () => {
    const xml = NESTED_PROVIDER_FAULT.replace('Code="2150858843"', 'Code="12a"').replace('Code="2150858844"', `Code="${"9".repeat(30)}"`);
    const f = faultFromEnvelope(parseEnvelope(xml), 500);
    assert.equal(f?.wsmanCode, undefined);
    assert.equal(f?.wsmanFault?.code, undefined);
    assert.equal(f?.wsmanFault?.inner?.code, undefined);
    assert.equal(f?.wsmanFault?.inner?.machine, "10.0.0.7");
  });
});

void describe("buildFault", () => {
  void test("is structurally the Server 2022 timeout fault", () => {
    const ours = buildFault({
      relatesTo: "uuid:7340FE92-C302-42E5-A337-1918908654F8",
      messageId: "uuid:D7C4A9B1-9A18-4048-B346-248D62A6078D",
      code: "s:Receiver",
      subcode: "w:TimedOut",
      reason: FAULT_REASON.timedOut,
      wsmanCode: 2150858793,
      machine: "server2022.domain.test",
    });
    assert.deepEqual(canonXml(ours), canonXml(SERVER2022_TIMEOUT));
    const root = parseXml(ours);
    assert.equal(attr(root, "lang", NS.xml), "en-US");
  });

  void test("round trip: server build -> client parse", () => {
    const xml = buildFault({
      relatesTo: "uuid:R",
      code: "s:Sender",
      subcode: "w:InvalidSelectors",
      reason: "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ",
      wsmanCode: 2150858843,
      machine: "WIN-EMU",
      faultDetail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
    });
    const env = parseEnvelope(xml);
    assert.equal(env.action, ACTION.fault);
    assert.equal(env.relatesTo, "uuid:R");
    assert.equal(env.to, ANONYMOUS);
    const f = faultFromEnvelope(env, 500);
    assert.ok(f instanceof WSManFaultError);
    assert.equal(f.faultCode, "s:Sender");
    assert.equal(f.subcode, "w:InvalidSelectors");
    assert.equal(f.wsmanCode, 2150858843);
    assert.equal(f.machine, "WIN-EMU");
    assert.match(f.reason, /invalid selectors/);
    assert.match(f.message, /2150858843 \(0x8033805B\)/);
  });

  void test("optional RelatesTo and a custom action", () => {
    const env = parseEnvelope(
      buildFault({
        code: "s:Sender",
        subcode: "a:DestinationUnreachable",
        reason: "x",
        wsmanCode: 2150858752,
        machine: "m",
        action: ACTION.addressingFault,
      }),
    );
    assert.equal(env.relatesTo, undefined);
    assert.equal(env.action, ACTION.addressingFault);
    assert.equal(faultFromEnvelope(env, 500)?.subcode, "a:DestinationUnreachable");
  });
});
