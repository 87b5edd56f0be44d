/**
 * What the fuzz harness feeds: every parser and matcher whose input a peer (the host, a proxy, anything on the path)
 * or a user controls. Each target takes one string (binary formats read it as latin1) and runs every parser that
 * input can reach; a WinRMError is a correct refusal, anything else thrown is a finding.
 */
import { AuthenticationError, WinRMError } from "../../provider/src/errors.js";
import { kerberosUnavailableReason } from "../../provider/src/auth/kerberos/kerberosMechanism.js";
import { parseConnection } from "../../provider/src/connection.js";
import {
  decodeWinHttpSettings,
  normalizeBypassList,
  normalizeProxyServer,
  sameProxyState,
  splitList,
  tryParseRegQueryBinary,
} from "../../provider/src/hosts/winhttpSettings.js";
import { findRegValue, parseRegQueryLine } from "../../provider/src/hosts/regQuery.js";
import { decodeOutput, honoursUtf8CodePage, parseChcp, streamDecoder } from "../../provider/src/shell/codePage.js";
import { cleanPowerShellStderr } from "../../provider/src/shell/powershell.js";
import { findChallenge, offeredSchemes, parseChallenges } from "../../provider/src/transport/challenges.js";
import { decideProxy, matchesBypassList, matchesNoProxy } from "../../provider/src/transport/proxyConfig.js";
import { endPointHashAlgorithm } from "../../provider/src/wire/channelBindings.js";
import { decodeEncryptedBody, decodeEncryptedParts } from "../../provider/src/wire/multipart.js";
import { splitApplicationRecords } from "../../provider/src/wire/credsspRecords.js";
import { ChunkedDecoder } from "../../provider/src/wire/chunked.js";
import { decodeAuthenticate, decodeAvPairs, decodeChallenge, decodeNegotiate, ntlmMessageType } from "../../provider/src/wire/ntlm/messages.js";
import { parseConfigDocument } from "../../provider/src/wsman/config.js";
import { faultFromEnvelope } from "../../provider/src/wsman/faults.js";
import { parseIdentifyResponse, parseProductVersion } from "../../provider/src/wsman/identify.js";
import { isIdentifyRequest } from "../../provider/src/testing/wsman/identify.js";
import { parseEnvelope, textOf } from "../../provider/src/wsman/parse.js";
import { parseDurationMs } from "../../provider/src/testing/wsman/duration.js";
import { parseCommandResponse, parseCreateResponse, parseReceiveResponse } from "../../provider/src/wsman/shell.js";
import {
  parseCommandLine,
  parseReceive,
  parseSend,
  parseShellCreate,
  parseSignal,
} from "../../provider/src/testing/wsman/shell.js";
import { scanReceiveResponse } from "../../provider/src/wsman/receiveScanner.js";
import { deepStrictEqual } from "node:assert";
import type { SeedCorpus } from "./seeds.js";

export interface FuzzTarget {
  readonly name: string;
  readonly seeds: readonly string[];
  /** Tokens this format cares about, for insertion mutations. */
  readonly tokens: readonly string[];
  readonly run: (input: string) => void;
  /** Longest input worth trying, when the real input has a smaller bound than the harness default (headers). */
  readonly maxLength?: number;
}

/** Run `f`; a WinRMError is an accepted outcome (the parser refused the input by name). */
function refusalOk(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WinRMError)) throw e;
  }
}

const latin1 = (s: string): Buffer => Buffer.from(s, "latin1");

/** Split "a\nb\nc" into at most `n` fields (the last keeps the rest), padding with "". */
function fields(input: string, n: number): string[] {
  const out: string[] = [];
  let rest = input;
  for (let i = 0; i < n - 1; i++) {
    const nl = rest.indexOf("\n");
    if (nl < 0) {
      out.push(rest);
      rest = "";
    } else {
      out.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
  out.push(rest);
  return out;
}

const HOSTS = ["winhost", "a.corp.example", "10.0.0.5", "[::1]", "a".repeat(48), `${"a".repeat(61)}.`.repeat(4).slice(0, 253)];

export function fuzzTargets(seeds: SeedCorpus): FuzzTarget[] {
  return [
    {
      // Differential: whenever the streaming scanner answers, the full parser must accept the document and agree.
      name: "receive-scanner",
      seeds: seeds.xml.filter((x) => x.includes("ReceiveResponse")),
      tokens: ["<rsp:Stream Name=\"stdout\">", "</rsp:Stream>", " End=\"true\"", "<rsp:ExitCode>", "xmlns:rsp=", "&amp;", "=", "<!--", "<![CDATA[", "/>", "\r\n"],
      run: (input) => {
        const scanned = scanReceiveResponse(input);
        if (scanned === undefined) return;
        const env = parseEnvelope(input);
        const result = parseReceiveResponse(env);
        const relatesTo = env.relatesTo;
        deepStrictEqual(scanned, relatesTo !== undefined ? { result, relatesTo } : { result });
      },
    },
    {
      name: "ntlm-messages",
      seeds: seeds.ntlm,
      tokens: ["NTLMSSP\0", "\x01\x00\x00\x00", "\x02\x00\x00\x00", "\x03\x00\x00\x00", "\xff\xff\xff\xff", "\x00\x00"],
      run: (input) => {
        const b = latin1(input);
        ntlmMessageType(b);
        refusalOk(() => decodeNegotiate(b));
        refusalOk(() => decodeChallenge(b));
        refusalOk(() => decodeAuthenticate(b));
        refusalOk(() => decodeAvPairs(b));
      },
    },
    {
      name: "multipart-encrypted",
      seeds: seeds.multipart,
      tokens: ["--Encrypted Boundary", "\r\n", "\tContent-Type: ", "OriginalContent: ", "Length=", ";", "--", 'boundary="', 'protocol="', "multipart/x-multi-encrypted"],
      run: (input) => {
        const [ct = "", body = ""] = fields(input, 2);
        refusalOk(() => decodeEncryptedBody(ct, latin1(body)));
        // The CredSSP reader of several part pairs (MS-WSMV 2.2.9.1.3), on the same body under both types.
        refusalOk(() => decodeEncryptedParts(ct, latin1(body)));
        refusalOk(() => decodeEncryptedParts(ct.replace("multipart/encrypted", "multipart/x-multi-encrypted"), latin1(body)));
        refusalOk(() => splitApplicationRecords(latin1(body), 8));
      },
    },
    {
      name: "channel-bindings",
      seeds: seeds.certificates,
      tokens: ["\x30\x82", "\x06\x09", "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a", "\xa0", "\x80", "\xff"],
      run: (input) => refusalOk(() => endPointHashAlgorithm(latin1(input))),
    },
    {
      name: "auth-challenges",
      seeds: [
        "Negotiate\nBasic realm=\"WSMAN\"\nKerberos",
        "NTLM TlRMTVNTUAACAAAADAAMADgAAAAFgomiESIzRFVmd4gAAAAAAAAAAA==",
        "Negotiate, Kerberos, Basic realm=\"x\", charset=\"UTF-8\"",
        "Basic realm=\"squid proxy\"\nNTLM\nNegotiate oYIBCzCCAQegAwoBAaEMBgorBgEEAYI3AgIK",
      ],
      tokens: ["Negotiate", "NTLM", "Basic", "Kerberos", "realm=", "==", ", ", "\"", "="],
      // Header values: Node's and undici's HTTP parsers refuse more than 16 KiB of headers.
      maxLength: 16 * 1024,
      run: (input) => {
        const values = input.split("\n");
        parseChallenges(values);
        offeredSchemes(values);
        for (const scheme of ["NTLM", "Negotiate", "Kerberos", "Basic"]) findChallenge(values, scheme);
      },
    },
    {
      name: "wsman-documents",
      seeds: seeds.xml,
      tokens: ["<s:Envelope", "</s:Body>", "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"", "<w:Selector Name=\"", "<rsp:Stream", "&#x10FFFF;", "&#1114112;", "&amp;", "&unknown;", "<cfg:__proto__>", "<a:Action>", "PT60.000S"],
      run: (input) => {
        let env: ReturnType<typeof parseEnvelope>;
        try {
          env = parseEnvelope(input);
        } catch (e) {
          if (e instanceof WinRMError) return;
          throw e;
        }
        refusalOk(() => faultFromEnvelope(env, 500));
        refusalOk(() => parseCreateResponse(env));
        refusalOk(() => parseCommandResponse(env));
        refusalOk(() => parseReceiveResponse(env));
        refusalOk(() => parseConfigDocument(env.body));
        refusalOk(() => parseShellCreate(env));
        refusalOk(() => parseCommandLine(env));
        refusalOk(() => parseReceive(env));
        refusalOk(() => parseSend(env));
        refusalOk(() => parseSignal(env));
        refusalOk(() => parseIdentifyResponse(input));
        refusalOk(() => isIdentifyRequest(input));
        if (env.operationTimeout !== undefined) parseDurationMs(env.operationTimeout);
        textOf(env.body);
      },
    },
    {
      name: "identify-version",
      seeds: ["OS: 10.0.17763 SP: 0.0 Stack: 3.0", "OS: 5.2.3790 SP: 2.0 Stack: 1.1", "OS: 0.0.0 SP: 0.0 Stack: 2.0", "PT20S", "PT60.000S", "P1DT2H3M4.5S"],
      tokens: ["OS:", "SP:", "Stack:", " ", "P", "T", "S", "M", "H", "D", "."],
      run: (input) => {
        refusalOk(() => parseProductVersion(input));
        honoursUtf8CodePage(input);
        parseDurationMs(input);
      },
    },
    {
      name: "reg-query",
      seeds: seeds.regQuery,
      tokens: ["WinHttpSettings", "REG_BINARY", "REG_SZ", "REG_DWORD", "    ", "\t", "0x1", "18000000", "ProxyServer", "ProxyOverride", "ProxyEnable"],
      run: (input) => {
        for (const line of input.split("\n")) parseRegQueryLine(line);
        findRegValue(input, "Native");
        refusalOk(() => {
          const blob = tryParseRegQueryBinary(input);
          if (blob === undefined) return;
          const d = decodeWinHttpSettings(blob);
          normalizeProxyServer(d.proxyServer);
          normalizeBypassList(d.bypassList);
          sameProxyState(d, d);
        });
      },
    },
    {
      name: "winhttp-blob",
      seeds: seeds.winHttpBlobs,
      tokens: ["\x18\x00\x00\x00", "\x03\x00\x00\x00", "\xff\xff\xff\xff", "<local>", ";", "="],
      run: (input) => {
        refusalOk(() => {
          const d = decodeWinHttpSettings(latin1(input));
          splitList(d.proxyServer);
          normalizeProxyServer(d.proxyServer);
          normalizeBypassList(d.bypassList);
        });
      },
    },
    {
      name: "bypass-list",
      seeds: ["<local>;*.corp.example;10.0.0.5:5985", "*a*a*a*a*a*a*a*a*a*a*b", "http://web.example;[::1]:5985;h.example:5986", "10.0.0.0/8, .example.com, localhost:5985"],
      tokens: ["*", "<local>", ";", " ", ":", "[", "]", ".", "http://", "/8", ","],
      run: (input) => {
        for (const host of HOSTS) {
          refusalOk(() => matchesBypassList(host, 5985, input));
          refusalOk(() => matchesNoProxy(host, 5985, input));
        }
      },
    },
    {
      name: "proxy-url-env",
      seeds: ["http://proxy:3128\nlocalhost,.corp", "https://user:p%40ss@proxy.example:443/\n*", "proxy:8080\n10.0.0.0/8", "socks5://p:1080\n"],
      tokens: ["http://", "https://", "@", ":", "%", "%4", "/", "[", "]", ",", "*", "."],
      run: (input) => {
        const [proxy = "", noProxy = ""] = fields(input, 2);
        for (const endpoint of ["https://h.example:5986/wsman", "http://10.0.0.5:5985/wsman"]) {
          refusalOk(() => decideProxy(new URL(endpoint), "env", { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, NO_PROXY: noProxy }));
        }
        refusalOk(() =>
          parseConnection({ endpoint: "https://h.example:5986/wsman", auth: { mechanism: "ntlm", username: "u", password: "p" }, proxy: { url: proxy, bypass: noProxy } }),
        );
      },
    },
    {
      name: "chcp-code-page",
      seeds: seeds.chcp,
      tokens: ["437", "850", "65001", ".", ":", " ", "\r\n", "99999"],
      run: (input) => {
        const cp = parseChcp(input);
        const bytes = latin1(input);
        for (const page of [cp ?? 437, 850, 65001, 1200]) {
          decodeOutput(bytes, page);
          const d = streamDecoder(page);
          d.write(bytes.subarray(0, bytes.length >> 1));
          d.write(bytes.subarray(bytes.length >> 1));
          d.end();
        }
      },
    },
    {
      name: "powershell-clixml",
      seeds: ['#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">boom_x000D__x000A_</S><S S="Error">&lt;x&gt; &amp; y_x000D__x000A_</S></Objs>'],
      tokens: ['<S S="Error">', "</S>", "_x000D_", "_x", "&lt;", "&amp;", "#< CLIXML"],
      run: (input) => void cleanPowerShellStderr(input),
    },
    {
      name: "kerberos-messages",
      seeds: ["Server HTTP/h@EXAMPLE.TEST not found in Kerberos database", "Cannot contact any KDC for realm 'EXAMPLE.TEST'", "Client alice@EXAMPLE.TEST not found in Kerberos database", "No Kerberos credentials available"],
      tokens: ["Server ", "Client ", " not found in Kerberos database", "\n"],
      run: (input) => void kerberosUnavailableReason(new AuthenticationError("kerberos", "AP-REQ", "failed", { cause: new Error(input) })),
    },
    {
      // Differential: the chunked decoder gives the same outcome for the whole input and for it fed byte by byte.
      name: "chunked-body",
      seeds: ["4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", '3;a="b c"\r\nabc\r\n0;x\r\nT: 1\r\n\r\nrest', "A\r\n0123456789\r\n000\r\n\r\n"],
      tokens: ["\r\n", ";", "=", "0\r\n\r\n", "ffffffff", "\n", "\r", ": ", " "],
      run: (input) => {
        const bytes = latin1(input);
        const decode = (pieces: Buffer[]): string => {
          const d = new ChunkedDecoder(4096);
          let body = "";
          let used = 0;
          try {
            for (const p of pieces) {
              if (d.done) break;
              used += d.push(p, (data) => (body += data.toString("latin1")));
            }
          } catch (e) {
            if (!(e instanceof WinRMError)) throw e;
            return `refused ${e.constructor.name}`;
          }
          return `${d.done} ${used} ${body}`;
        };
        deepStrictEqual(decode(Array.from(bytes, (c) => Buffer.from([c]))), decode([bytes]));
      },
    },
  ];
}
