/**
 * Every recorded WinRS request (pypsrp's test_winrs_* sessions: Create, Command, Send, Receive, Signal, Delete) is
 * replayed against the emulated host in order, ids of the recording replaced by the ones the emulator handed out,
 * and its answer compared with Windows' structurally (structure.ts). Each intentional or known difference is listed
 * below with its reason; an unlisted one fails, and a listed one that no longer occurs is reported.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { startConformanceHost } from "./conformanceHost.js";
import { CORPUS_ABSENT, corpusDir, loadCorpus, pypsrpFiles, readPypsrpSession } from "./corpus.js";
import { tags } from "./independentReading.js";
import { compareResponses, type Difference } from "./structure.js";
import { KNOWN_DIFFERENCES } from "./knownDifferences.js";

const corpus = loadCorpus();

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

void test("the emulator answers every recorded WinRS request as Windows did, but for the listed differences", async (t) => {
  if (!corpus) {
    t.skip(CORPUS_ABSENT);
    return;
  }
  const dir = corpusDir();
  const host = await startConformanceHost();
  const unlisted: string[] = [];
  const seen = new Set<string>();
  let replayed = 0;
  try {
    for (const file of pypsrpFiles(dir, "test_winrs_")) {
      const ids = new Map<string, string>();
      for (const ex of readPypsrpSession(dir, file)) {
        const res = await host.post(substitute(ex.request, ids));
        replayed++;
        learnIds(ex.response, res.xml, ids);
        let diffs: Difference[];
        try {
          diffs = res.xml === "" ? [{ path: "", what: `HTTP ${res.status} with no body` }] : compareResponses(ex.response, res.xml);
        } catch (e) {
          diffs = [{ path: "", what: `unreadable answer: ${(e as Error).message}` }];
        }
        for (const d of diffs) {
          const known = KNOWN_DIFFERENCES.find((k) => k.matches(ex.source, d));
          if (known) seen.add(known.id);
          else unlisted.push(`${ex.source}: ${d.path}: ${d.what}`);
        }
      }
    }
  } finally {
    await host.close();
  }
  t.diagnostic(`${replayed} recorded requests replayed`);
  for (const k of KNOWN_DIFFERENCES) if (!seen.has(k.id)) t.diagnostic(`listed difference no longer seen: ${k.id} (${k.reason})`);
  assert.ok(replayed >= 50, `only ${replayed} requests replayed`);
  assert.deepEqual(unlisted, [], `unlisted differences from Windows:\n${unlisted.join("\n")}`);
});
