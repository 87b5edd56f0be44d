/**
 * The `winrm-proxy` help texts: one overview (`--help`) with every flag, and one per command (`exec --help`,
 * `help exec`) with that command's usage and the flags it takes. Built from the same sections, so they cannot drift.
 */

const CONNECTION_FLAGS = `Connection flags:
  --endpoint URL          WinRM endpoint, e.g. https://host:5986/wsman or http://host:5985/wsman (required; default
                          $WINRM_ENDPOINT). A URL without a path gets /wsman.
  --auth MECH             Target authentication: negotiate (default: Kerberos when a ticket can be had, else NTLM,
                          as Windows does; probe says which it chose), kerberos, ntlm or basic. basic needs https://.
  --username USER         Target user: DOMAIN\\user, user@domain or a local user (default $WINRM_USERNAME). For
                          Kerberos the principal is user@REALM (DOMAIN\\user becomes user@DOMAIN). Not needed with
                          the ticket cache: the principal is the cache's.
  --password-env VAR      Name of the environment variable that holds the target password (default: WINRM_PASSWORD
                          when it is set). Required, except with an explicit --auth kerberos|negotiate: without a
                          password the Kerberos ticket cache (KRB5CCNAME, kinit) is used.
                          Passwords are never taken on the command line, where other users could read them.
  --domain DOMAIN         Overrides the domain part of --username (the realm, for Kerberos).
  --spn SPN               Target service principal name (default HTTP/<endpoint host>), e.g. HTTP/host.corp.example
                          when the endpoint is an IP address or an alias. Kerberos needs the host's real name.
  --delegate              Kerberos: delegate (forward) the ticket to the host, for a second hop.
  --credssp-allow-unpatched
                          CredSSP: accept a host speaking CredSSP 2-4, without the CVE-2018-0886 fix (Windows'
                          "Encryption Oracle Remediation" at "Vulnerable"); by default such a host is refused.
  --encryption MODE       WinRM message encryption: auto (default: on for http://, TLS does it for https://),
                          always, or never (never is refused for http://: nothing unencrypted leaves this machine).
  --ca FILE               PEM file of the CA(s) that sign the host's certificate (https://).
  --server-name NAME      TLS server name to verify, when it differs from the endpoint's host.
  --insecure-skip-verify  Skip CA validation of the host's certificate: accepted only with --thumbprint (the pin
                          then verifies the host); refused alone.
  --thumbprint HEX        Pin the host's certificate: SHA-256 (64 hex digits) or SHA-1 (40, as Windows prints it),
                          colons/spaces/case ignored. Alone it replaces CA validation; with --ca both must hold.
  --cert FILE             PEM client certificate: certificate authentication (https/mutual; implies --auth
                          certificate; https:// only). The host maps it to an account (winrm/config/service/certmapping).
  --key FILE              PEM private key of --cert (may be encrypted).
  --key-passphrase-env VAR  Name of the environment variable holding the passphrase of an encrypted --key.
  --operation-timeout SEC WS-Management OperationTimeout; an idle Receive is renewed after it (default 20).
  --connect-timeout MS    TCP/TLS connect timeout in milliseconds, per attempt (default 30000).
  --connect-attempts N    Dial the host up to N times (1-100) when it refuses, resets or times out before any WinRM
                          message was accepted; never after (a command is never sent twice). Default 1 here, so a
                          mistyped host fails at once; use e.g. 10 for a host that is still starting.
`;

const PROXY_FLAGS = `Proxy flags (see README "Through a proxy"):
  --proxy URL|env|none    HTTP proxy, e.g. http://proxy.corp.example:3128, or https://proxy.corp.example:443 (TLS to
                          the proxy: proxy credentials never cross the network in clear); env reads HTTPS_PROXY /
                          HTTP_PROXY / ALL_PROXY / NO_PROXY (both cases, lower case first, as curl does); none
                          (default) = direct. SOCKS5: socks5://host:port (name resolved here) or socks5h://host:port
                          (resolved by the proxy, e.g. ssh -D); credentials with --proxy-auth basic (docs/socks.md).
  --proxy-mode MODE       auto (default: CONNECT tunnel, falling back to forward proxying for http:// targets when
                          the proxy refuses CONNECT to that port), tunnel, or forward (http:// targets only).
  --proxy-auth MECH       Proxy authentication: none (default), basic, negotiate (Kerberos, else NTLM), kerberos, ntlm.
                          Independent of --auth: its own mechanism and credentials. A proxy that needs
                          authentication needs an https:// endpoint.
  --proxy-username USER   Proxy user (DOMAIN\\user, user@domain or user).
  --proxy-password-env VAR  Name of the environment variable holding the proxy password (kerberos/negotiate without
                          it: the Kerberos ticket cache).
  --proxy-spn SPN         The proxy's service principal name (default HTTP/<proxy host>).
  --proxy-bypass LIST     WinHTTP-style bypass list: "<local>;*.corp.example;10.0.0.5:5985" (those go direct).
  --proxy-ca FILE         PEM file of the CA(s) that sign an https:// proxy's certificate (default: system CAs).
  --proxy-server-name NAME  Name to verify in an https:// proxy's certificate (and SNI), when it differs from its host.
`;

const EXEC_FLAGS = `Exec flags:
  --shell SHELL           cmd (default) or powershell.
  --raw                   Send the words after -- joined with blanks, unquoted (a command line of your own).
  --argv                  Quote even a single word after -- as a program name (e.g. a path with blanks).
  --stdin FILE            Send FILE (or - for this process's standard input) to the command's standard input.
  --env NAME=VALUE        Set an environment variable for the command (repeatable).
  --cwd DIR               Working directory on the host.
  --timeout MS            Give up (and stop the remote command) after MS milliseconds.
  --json                  Print {"stdout","stderr","exitCode"} as JSON instead of streaming the output; a failure
                          prints {"error":{"code","message"}} (exit status unchanged).

The command after --:
  One word is a command line, sent as it is:   winrm-proxy exec ... -- "echo %COMPUTERNAME% & ver"
  Several words are a program and its arguments, each quoted so it arrives as typed:
                                               winrm-proxy exec ... -- netsh winhttp set proxy p:80 "<local>"
  For cmd, a word with blanks or any of " & | < > ^ ( ) % is quoted for the program's C runtime ("a b", \\" for a
  quote) and, where cmd.exe would still see an operator or a %VAR%, each such character gets cmd's ^ escape, so
  nothing is redirected or expanded (README "Command line" has the exact rule). cmd's built-ins (echo, set, dir) read
  quotes literally: give those as one word. For powershell, a word other than a plain name, path or -Parameter
  becomes a '...' literal (nothing expanded), a quoted first word is called with &.
`;

const EXIT_STATUS = `Exit status: the remote command's exit code when it is 0-255, else 1 (--json shows the full code); 2 for a usage
or configuration error (nothing was sent); 255 when the host could not be reached, authentication failed, or the
protocol failed (TLS included), or --timeout passed. identify and probe: 0 when it worked.
`;

const ENVIRONMENT = `Environment: WINRM_ENDPOINT, WINRM_USERNAME and WINRM_PASSWORD are used where --endpoint, --username and
--password-env are not given (flags win). KRB5CCNAME / KRB5_CONFIG as MIT Kerberos reads them.
`;

export const EXEC_HELP = `winrm-proxy exec: run a command on a Windows host and stream its output; exits with its exit code.

Usage:
  winrm-proxy exec [connection flags] [proxy flags] [exec flags] -- COMMAND [ARGS...]

${EXEC_FLAGS}
${CONNECTION_FLAGS}
${PROXY_FLAGS}
${ENVIRONMENT}
${EXIT_STATUS}`;

export const IDENTIFY_HELP = `winrm-proxy identify: ask the host's WS-Management Identify (product vendor and version, protocol).

Usage:
  winrm-proxy identify [connection flags] [proxy flags] [--json]

  --json                  Print the answer as JSON; a failure prints {"error":{"code","message"}}.

${CONNECTION_FLAGS}
${PROXY_FLAGS}
${ENVIRONMENT}
${EXIT_STATUS}`;

export const PROBE_HELP = `winrm-proxy probe: walk the path step by step (rules, route, proxy, TLS, authentication, encryption,
affinity) and say whether it is allowed and works. Exit 0 when it works, 2 when a rule refuses it (nothing sent), 255
when it fails on the way.

Usage:
  winrm-proxy probe [connection flags] [proxy flags] [--json]

  --json                  Print the report as JSON ({"ok","steps",...,"error":{"code","message"}} on failure).

${CONNECTION_FLAGS}
${PROXY_FLAGS}
${ENVIRONMENT}
${EXIT_STATUS}`;

const CP_FLAGS = `Copy flags:
  --quiet, -q             No progress on stderr.
  --json                  Print the result ({"files":[...],"bytesSent"}) as JSON; a failure prints {"error":{"code","message"}}.
`;

export const CP_HELP = `winrm-proxy cp: copy a local file or directory to a Windows host, streamed over the WinRM connection,
verified by a SHA-256 the host computes, resumed where a broken copy stopped (docs/file-copy.md).

Usage:
  winrm-proxy cp [connection flags] [proxy flags] [copy flags] LOCAL REMOTE

  REMOTE is the absolute Windows path the file or directory gets (C:\\deploy\\app). Files whose remote hash already
  matches are skipped. Exit 0 when every file is in place and verified; 2 for a usage error or a missing LOCAL
  (nothing sent); 255 when the copy failed (WINRM_COPY_VERIFY: the host's hash differed; WINRM_COPY_FAILED: a step
  failed on the host; or the connection's own errors). Run it again after a failure: it resumes.

${CP_FLAGS}
${CONNECTION_FLAGS}
${PROXY_FLAGS}
${ENVIRONMENT}`;

export const HELP = `winrm-proxy: run commands on Windows hosts over WinRM, directly or through HTTP proxies.

Usage:
  winrm-proxy exec [connection flags] [exec flags] -- COMMAND [ARGS...]
  winrm-proxy cp [connection flags] [--quiet] LOCAL REMOTE   copy a file or directory to the host (cp --help)
  winrm-proxy identify [connection flags] [--json]
  winrm-proxy probe [connection flags] [--json]     walk the path step by step and say whether it is allowed and works
  winrm-proxy emulate --user 'DOMAIN\\NAME:PASSWORD'    run an emulated Windows host for tests (emulate --help)
  winrm-proxy help [exec|cp|identify|probe]         this text, or one command's (also: winrm-proxy exec --help)
  winrm-proxy --help | -h | --version

${CONNECTION_FLAGS}
${PROXY_FLAGS}
${EXEC_FLAGS}
${CP_FLAGS}
${ENVIRONMENT}
${EXIT_STATUS}`;

export const COMMAND_HELP = { exec: EXEC_HELP, identify: IDENTIFY_HELP, probe: PROBE_HELP, cp: CP_HELP } as const;
export type CommandName = keyof typeof COMMAND_HELP;
