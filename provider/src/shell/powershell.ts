/**
 * PowerShell through a cmd shell: `powershell -NoProfile -NonInteractive -EncodedCommand <base64 of UTF-16LE>`.
 * -EncodedCommand takes the script as base64 of its UTF-16LE bytes (powershell.exe /?), which sidesteps every cmd.exe
 * quoting rule and the console code page for the script text itself.
 */

export interface CommandLine {
  readonly command: string;
  readonly args: string[];
}

export function encodePowerShell(script: string): string {
  return Buffer.from(script, "utf16le").toString("base64");
}

export function powershellCommandLine(script: string): CommandLine {
  return {
    command: "powershell",
    args: ["-NoProfile", "-NonInteractive", "-EncodedCommand", encodePowerShell(script)],
  };
}

/**
 * PowerShell writes its error stream as CLIXML ("#< CLIXML" then <Objs>...) when stderr is not a console.
 * Return the error text as a person reads it (progress records dropped, as pywinrm does); other stderr passes unchanged.
 */
export function cleanPowerShellStderr(stderr: string): string {
  const marker = "#< CLIXML";
  const at = stderr.indexOf(marker);
  if (at < 0) return stderr;
  const xml = stderr.slice(at + marker.length);
  const lines: string[] = [];
  // indexOf, not /<S S="Error">([\s\S]*?)<\/S>/g: the lazy expression rescans to the end of the text from every
  // opening tag that has no closing one (quadratic in what the host sent).
  const open = '<S S="Error">';
  const close = "</S>";
  for (let pos = 0; ; ) {
    const start = xml.indexOf(open, pos);
    if (start < 0) break;
    const end = xml.indexOf(close, start + open.length);
    if (end < 0) break;
    lines.push(unescapeClixml(xml.slice(start + open.length, end)));
    pos = end + close.length;
  }
  return stderr.slice(0, at) + lines.join("");
}

function unescapeClixml(s: string): string {
  return s
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
