/**
 * WS-Management namespace URIs, resource URIs, actions and shell constants (MS-WSMV 2.2.1, MS-WSMV 2.2.1; MS-WSMV 3.1.4 Signal).
 *
 * The prefixes used as keys are the conventional ones we write; when reading, every lookup goes by URI, because
 * servers and clients pick their own prefixes (pywinrm writes env:/a:/w:, Windows s:/a:/w:, others wsa:/wsman:).
 */

export const NS = {
  /** SOAP 1.2 envelope. */
  s: "http://www.w3.org/2003/05/soap-envelope",
  /** WS-Addressing (2004/08, the submission version WS-Management uses). */
  a: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  /** DMTF WS-Management. */
  w: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
  /** Microsoft WS-Management extensions (MS-WSMV). */
  p: "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
  /** Windows Remote Shell. */
  rsp: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
  /** WS-Transfer. */
  x: "http://schemas.xmlsoap.org/ws/2004/09/transfer",
  /** WS-Enumeration. */
  n: "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
  /** WSManFault detail (MS-WSMV 2.2.4.43). */
  f: "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
  /** Root of the WinRM configuration namespace (winrm/config); sub-resources use their own URI (config.ts). */
  cfg: "http://schemas.microsoft.com/wbem/wsman/1/config",
  /** WS-Management identity (Identify, MS-WSMV 3.1.4.16). */
  wsmid: "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
  xsi: "http://www.w3.org/2001/XMLSchema-instance",
  xsd: "http://www.w3.org/2001/XMLSchema",
  /** CIM binding. */
  b: "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd",
  /** The reserved xml: prefix (xml:lang). */
  xml: "http://www.w3.org/XML/1998/namespace",
  xmlns: "http://www.w3.org/2000/xmlns/",
} as const;

export const RESOURCE_URI = {
  cmd: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
  powershell: "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
  config: "http://schemas.microsoft.com/wbem/wsman/1/config",
  configService: "http://schemas.microsoft.com/wbem/wsman/1/config/service",
  configServiceAuth: "http://schemas.microsoft.com/wbem/wsman/1/config/service/auth",
  configClient: "http://schemas.microsoft.com/wbem/wsman/1/config/client",
  configClientAuth: "http://schemas.microsoft.com/wbem/wsman/1/config/client/auth",
  configWinrs: "http://schemas.microsoft.com/wbem/wsman/1/config/winrs",
} as const;

const TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
const SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
const ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";

/** a:Action values (MS-WSMV 3.1.4, MS-WSMV 3.1.4). */
export const ACTION = {
  create: `${TRANSFER}/Create`,
  createResponse: `${TRANSFER}/CreateResponse`,
  delete: `${TRANSFER}/Delete`,
  deleteResponse: `${TRANSFER}/DeleteResponse`,
  get: `${TRANSFER}/Get`,
  getResponse: `${TRANSFER}/GetResponse`,
  put: `${TRANSFER}/Put`,
  putResponse: `${TRANSFER}/PutResponse`,
  command: `${SHELL}/Command`,
  commandResponse: `${SHELL}/CommandResponse`,
  receive: `${SHELL}/Receive`,
  receiveResponse: `${SHELL}/ReceiveResponse`,
  send: `${SHELL}/Send`,
  sendResponse: `${SHELL}/SendResponse`,
  signal: `${SHELL}/Signal`,
  signalResponse: `${SHELL}/SignalResponse`,
  enumerate: `${ENUMERATION}/Enumerate`,
  enumerateResponse: `${ENUMERATION}/EnumerateResponse`,
  pull: `${ENUMERATION}/Pull`,
  pullResponse: `${ENUMERATION}/PullResponse`,
  /** What real Windows hosts put in a:Action of a fault (MS-WSMV 4.10 shows the WS-Addressing fault action instead). */
  fault: "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
  /** The WS-Addressing fault action of MS-WSMV 4.10; accepted when reading. */
  addressingFault: "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault",
} as const;

/**
 * rsp:Signal codes (MS-WSMV 2.2.4.38). The spec spells `.../Terminate`; pywinrm, WinRb and Windows itself use the
 * lower-case form, which Windows accepts, so we send that and accept both.
 */
export const SIGNAL = {
  terminate: `${SHELL}/signal/terminate`,
  ctrlC: `${SHELL}/signal/ctrl_c`,
  ctrlBreak: `${SHELL}/signal/ctrl_break`,
} as const;

/** rsp:CommandState/@State (MS-WSMV 2.2.4.7). Done, not a stream's End, means the command completed. */
export const COMMAND_STATE = {
  done: `${SHELL}/CommandState/Done`,
  running: `${SHELL}/CommandState/Running`,
  pending: `${SHELL}/CommandState/Pending`,
} as const;

/** WS-Addressing anonymous reply address (a:ReplyTo/a:Address, a:To of responses). */
export const ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
