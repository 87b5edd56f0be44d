/**
 * What every driver of a Python peer (pywinrm) needs: the interpreter, whether pywinrm is there, and the OpenSSL
 * configuration its NTLM needs. Shared by the pywinrm tests (test/integration/pywinrm*.test.ts, proxy-paths) and bench/roundtrips.ts.
 *
 * pywinrm's NTLM (requests-ntlm / pyspnego) computes NTOWFv1 with hashlib's MD4, which OpenSSL 3 only offers in its
 * legacy provider: OPENSSL_CONF must point at a file that activates it next to the default provider.
 */
import { execFile, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Debian's python3-winrm and its dependencies load only in the system interpreter. */
export const PYTHON = "/usr/bin/python3";

/** OpenSSL 3 configuration with the default and the legacy providers active. */
export const OPENSSL_LEGACY_CONF = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`;

/** Write the legacy-provider configuration into `dir`; returns its path, for OPENSSL_CONF. */
export function writeOpensslLegacyConf(dir: string): string {
  const path = join(dir, "openssl-legacy.cnf");
  writeFileSync(path, OPENSSL_LEGACY_CONF);
  return path;
}

/** Why pywinrm cannot run here (a message for a skip), or false when it can. */
export function pywinrmMissing(): string | false {
  const r = spawnSync(PYTHON, ["-c", "import winrm, requests_ntlm"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not runnable: ${r.error.message}`;
  return r.status === 0 ? false : "pywinrm (python3-winrm) is not installed; run scripts/setup.sh";
}

/**
 * Run a Python driver script that prints one JSON object as its last line of stdout, and parse that line. `env` is
 * the whole environment of the child (nothing of this process's leaks in: no proxy variables from outside).
 */
export function runJsonDriver<T>(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`pywinrm driver printed no JSON (${err?.message ?? "exit 0"}): ${stderr}`));
      }
    });
  });
}
