/**
 * Every recorded WinRS request (pypsrp's test_winrs_* sessions: Create, Command, Send, Receive, Signal, Delete) is
 * replayed against the emulated host in order, ids of the recording replaced by the ones the emulator handed out,
 * and its answer compared with Windows' structurally (structure.ts). Each intentional or known difference is listed
 * below with its reason; an unlisted one fails, and a listed one that no longer occurs is reported.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { startConformanceHost, type ConformanceHost } from "./conformanceHost.js";
import { CORPUS_ABSENT, corpusDir, loadCorpus, pypsrpFiles, readPypsrpSession } from "./corpus.js";
import { tags } from "./independentReading.js";
import { compareResponses, type Difference } from "./structure.js";
import { KNOWN_DIFFERENCES } from "./knownDifferences.js";

const corpus = loadCorpus();
/** Ids of the listed differences seen by any replay of this file. */
const seenEver = new Set<string>();

/** Recorded ids (ShellId, CommandId) -> the emulator's, learnt from each pair of answers. */
function learnIds(recorded: string, ours: string, ids: Map<string, string>): void {
  for (const local of ["ShellId", "CommandId"]) {
    const r = tags(recorded, local)[0]?.text.trim();
    const o = tags(ours, local)[0]?.text.trim();
    if (r && o) ids.set(r, o);
  }
  const rs = tags(recorded, "Selector").find((s) => s.attrs.Name === "ShellId")?.text.trim();
  const os = tags(ours, "Selector").find((s) => s.attrs.Name === "ShellId")?.text.trim();
  if (rs && os) ids.set(rs, os);
}

function substitute(xml: string, ids: Map<string, string>): string {
  let out = xml;
  for (const [from, to] of ids) out = out.split(from).join(to);
  return out;
}

/** Recorded requests that stand alone (no id from an earlier answer): config Get, Enumerate and Get of shells, a bad header. */
const STANDALONE = [
  "test_wsman_update_envelope_size_150.yml#0",
  "test_wsman_update_envelope_size_500.yml#0",
  "test_wsman_update_envelope_size_4096.yml#0",
  "test_psrp_small_msg_size.yml#0",
  "test_psrp_disconnect_runspaces.yml#11",
  "test_psrp_disconnected_commands.yml#10",
  "test_psrp_is_alive_other_wsman_error.yml#3",
];

/**
 * The situation of a recorded Enumerate of shells: the user had as many shells open as Windows listed. They are
 * opened with a recorded Create (its answer's ShellId read back) and the returned function deletes them again.
 */
async function openShellsAsRecorded(host: ConformanceHost, dir: string, recordedResponse: string): Promise<() => Promise<void>> {
  const count = tags(recordedResponse, "Shell").length;
  const session = readPypsrpSession(dir, "test_winrs_no_cmd_shell.yml");
  const create = session[0];
  const del = session.at(-1);
  if (!create?.request.includes("transfer/Create") || !del?.request.includes("transfer/Delete")) {
    throw new Error("recorded Create/Delete of test_winrs_no_cmd_shell.yml not found");
  }
  const recordedId = tags(create.response, "ShellId")[0]?.text.trim() ?? "";
  const opened: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = tags((await host.post(create.request)).xml, "ShellId")[0]?.text.trim();
    assert.ok(id, "the emulator did not open a shell");
    opened.push(id);
  }
  return async () => {
    for (const id of opened) assert.equal((await host.post(del.request.split(recordedId).join(id))).status, 200);
  };
}

async function replayAll(
  t: { diagnostic(m: string): void },
  run: (
    check: (source: string, request: string, response: string, ids: Map<string, string>) => Promise<void>,
    host: ConformanceHost,
  ) => Promise<number>,
): Promise<void> {
  const host = await startConformanceHost();
  const unlisted: string[] = [];
  const seen = seenEver;
  let replayed = 0;
  try {
    replayed = await run(async (source, request, response, ids) => {
      const res = await host.post(substitute(request, ids));
      learnIds(response, res.xml, ids);
      let diffs: Difference[];
      try {
        diffs = res.xml === "" ? [{ path: "", what: `HTTP ${res.status} with no body` }] : compareResponses(response, res.xml);
      } catch (e) {
        diffs = [{ path: "", what: `unreadable answer: ${(e as Error).message}` }];
      }
      for (const d of diffs) {
        const known = KNOWN_DIFFERENCES.find((k) => k.matches(source, d));
        if (known) seen.add(known.id);
        else unlisted.push(`${source}: ${d.path}: ${d.what}`);
      }
    }, host);
  } finally {
    await host.close();
  }
  t.diagnostic(`${replayed} recorded requests replayed`);
  assert.ok(replayed > 0);
  assert.deepEqual(unlisted, [], `unlisted differences from Windows:\n${unlisted.join("\n")}`);
}

void test("the emulator answers the recorded standalone requests (config Get, shell Enumerate, bad OperationTimeout) as Windows did, but for the listed differences", async (t) => {
  if (!corpus) {
    t.skip(CORPUS_ABSENT);
    return;
  }
  const dir = corpusDir();
  await replayAll(t, async (check, host) => {
    let n = 0;
    for (const ref of STANDALONE) {
      const [file = "", index = ""] = ref.split("#");
      const ex = readPypsrpSession(dir, file)[Number(index)];
      assert.ok(ex, `recording ${ref} missing`);
      const isEnumerate = ex.request.includes("enumeration/Enumerate<");
      const close = isEnumerate ? await openShellsAsRecorded(host, dir, ex.response) : undefined;
      await check(ex.source, ex.request, ex.response, new Map());
      await close?.();
      n++;
    }
    return n;
  });
});

void test("the emulator answers every recorded WinRS request as Windows did, but for the listed differences", async (t) => {
  if (!corpus) {
    t.skip(CORPUS_ABSENT);
    return;
  }
  const dir = corpusDir();
  await replayAll(t, async (check) => {
    let n = 0;
    for (const file of pypsrpFiles(dir, "test_winrs_")) {
      const ids = new Map<string, string>();
      for (const ex of readPypsrpSession(dir, file)) {
        await check(ex.source, ex.request, ex.response, ids);
        n++;
      }
    }
    assert.ok(n >= 50, `only ${n} WinRS requests replayed`);
    return n;
  });
});

void test("every listed difference still occurs (else remove it from knownDifferences.ts)", (t) => {
  if (!corpus) {
    t.skip(CORPUS_ABSENT);
    return;
  }
  const stale = KNOWN_DIFFERENCES.filter((k) => !seenEver.has(k.id)).map((k) => `${k.id}: ${k.reason}`);
  for (const s of stale) t.diagnostic(`listed difference no longer seen: ${s}`);
  if (stale.length > 0) t.todo(`${stale.length} listed difference(s) no longer occur: drop them from the list`);
});
