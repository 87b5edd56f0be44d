/**
 * Display languages of the emulated hosts: the OEM code page each console prints in, and every user-visible string
 * the emulated commands print, one table per locale. Values (proxy names, bypass lists, numbers) are never localized;
 * only labels and messages are.
 *
 * Provenance:
 * - en-US: netsh's layout from KB4494447; proxycfg's from its documentation (`proxycfg /?`), with no recorded output
 *   to check it against (docs/conformance.md).
 * - es-ES / it-IT: netsh "command not found" is from Microsoft's localized netsh docs; the cmd "not recognized"
 *   message and `ver` ("Versión" / "Versione") from public console transcripts; "Acceso directo (sin servidor
 *   proxy)." from a public transcript of `netsh winhttp show proxy`. Every other es/it string is a translation made
 *   for the emulator and carries an "unconfirmed:" comment until checked against a real localized host.
 * - Label padding is literal text in Windows' resources, not computed alignment: English "Bypass List     :" and
 *   French "Liste de contournement     :" both carry five spaces, so the tables keep it verbatim.
 */

export type Locale = "en-US" | "es-ES" | "it-IT";

export const LOCALES: readonly Locale[] = ["en-US", "es-ES", "it-IT"];

export function isLocale(s: string): s is Locale {
  return (LOCALES as readonly string[]).includes(s);
}

export interface LocaleStrings {
  /** Console (OEM) code page: what cmd, netsh, proxycfg and reg print in unless the shell chose another one. */
  readonly oemCodePage: number;
  /** ANSI code page (GetACP). */
  readonly ansiCodePage: number;
  readonly cmd: {
    /** cmd's message for an unknown program (two lines). Exit code 9009. */
    notRecognized(name: string): string;
    readonly syntaxIncorrect: string;
    readonly echoIsOn: string;
    envNotDefined(name: string): string;
    activeCodePage(cp: number): string;
    readonly invalidCodePage: string;
    readonly fileNotFound: string;
    /** The word in `ver`'s "Microsoft Windows [Version x]". */
    readonly versionWord: string;
  };
  readonly netsh: {
    /** netsh's answer to a context or command it does not have (e.g. `winhttp` on 2003). */
    commandNotFound(command: string): string;
    readonly currentSettings: string;
    readonly directAccess: string;
    readonly proxyServersLabel: string;
    readonly bypassListLabel: string;
    readonly none: string;
    readonly setProxyUsage: string;
    readonly importProxyUsage: string;
    readonly invalidSource: string;
  };
  readonly proxycfg: {
    readonly banner: string;
    readonly copyright: string;
    readonly currentUnder: string;
    readonly directAccess: string;
    readonly proxyServersLabel: string;
    readonly bypassListLabel: string;
    readonly none: string;
    readonly updated: string;
    readonly usage: string;
    readonly ieNotManual: string;
  };
  readonly reg: {
    readonly notFound: string;
    readonly success: string;
    /** reg's answer to a malformed command line; `op` is the operation in its usage hint ("REG ADD /?"). */
    invalidSyntax(op: string): string;
    /** reg add without /f on a value that exists asks first (read from stdin); anything but Yes cancels. */
    overwritePrompt(name: string): string;
    /** reg delete without /f asks first, for a value and for a whole key. */
    deleteValuePrompt(name: string): string;
    deleteKeyPrompt(key: string): string;
    readonly cancelled: string;
  };
  readonly powershell: {
    notRecognized(name: string): string;
  };
}

const EN: LocaleStrings = {
  oemCodePage: 437,
  ansiCodePage: 1252,
  cmd: {
    notRecognized: (n) => `'${n}' is not recognized as an internal or external command,\r\noperable program or batch file.`,
    syntaxIncorrect: "The syntax of the command is incorrect.",
    echoIsOn: "ECHO is on.",
    envNotDefined: (n) => `Environment variable ${n} not defined`,
    activeCodePage: (cp) => `Active code page: ${cp}`,
    invalidCodePage: "Invalid code page",
    fileNotFound: "The system cannot find the file specified.",
    versionWord: "Version",
  },
  netsh: {
    commandNotFound: (c) => `The following command was not found: ${c}.`,
    currentSettings: "Current WinHTTP proxy settings:",
    directAccess: "Direct access (no proxy server).",
    proxyServersLabel: "Proxy Server(s) :",
    bypassListLabel: "Bypass List     :",
    none: "(none)",
    setProxyUsage: [
      "Usage: set proxy [proxy-server=]<server name> [bypass-list=]<hosts list>",
      "",
      "Parameters:",
      "",
      "  Tag              Value",
      "  proxy-server   - proxy server for use for http and/or https protocol",
      "  bypass-list    - a list of sites that should be visited bypassing the",
      "                   proxy (use \"<local>\" to bypass all short name hosts)",
      "",
      "Examples:",
      "",
      "  set proxy myproxy",
      "  set proxy myproxy:80 \"<local>;bar\"",
      "  set proxy proxy-server=\"http=myproxy;https=sproxy:88\" bypass-list=\"*.foo.com\"",
    ].join("\r\n"),
    // unconfirmed: layout of the import usage text (modelled on the set proxy usage).
    importProxyUsage: [
      "Usage: import proxy [source=]ie",
      "",
      "Parameters:",
      "",
      "  Tag              Value",
      "  source         - \"ie\": import the current user's Internet Explorer proxy settings",
      "",
      "Examples:",
      "",
      "  import proxy source=ie",
    ].join("\r\n"),
    // unconfirmed
    invalidSource: "The parameter is incorrect.",
  },
  proxycfg: {
    banner: "Microsoft (R) WinHTTP Default Proxy Configuration Tool",
    copyright: "Copyright (c) Microsoft Corporation. All rights reserved.",
    currentUnder: "Current WinHTTP proxy settings under:",
    directAccess: "Direct access (no proxy server).",
    proxyServersLabel: "Proxy Server(s) :",
    bypassListLabel: "Bypass List     :",
    none: "(none)",
    updated: "Updated proxy settings",
    // No recorded output: no public transcript of `proxycfg -?` was found, so this text is the emulator's own, written
    // from the documented parameter table (ProxyCfg.exe page of the WinHTTP docs: none, ?, d, p, u, i); see
    // docs/conformance.md, "Emulated commands without a recorded Windows output".
    usage: [
      "usage:",
      "",
      "    proxycfg                            : show the current WinHTTP proxy settings",
      "    proxycfg -?                         : show this help",
      "    proxycfg -d                         : reach every server directly (no proxy)",
      "    proxycfg -p <servers> [<bypass>]    : use the proxy server(s), except for the bypass list",
      "    proxycfg -u                         : use the current user's manual Internet Explorer proxy",
      "    proxycfg -i                         : like -u, when proxycfg was never used before",
    ].join("\r\n"),
    // No recorded output: the documentation says -u fails when Internet Explorer uses auto-detect or a PAC script
    // (ProxyCfg.exe page of the WinHTTP docs), but no transcript of that failure was found; the text is the emulator's.
    ieNotManual: "Error importing proxy settings: Internet Explorer is not configured with a manual proxy server.",
  },
  reg: {
    notFound: "ERROR: The system was unable to find the specified registry key or value.",
    success: "The operation completed successfully.",
    invalidSyntax: (op) => `ERROR: Invalid syntax.\r\nType "REG ${op} /?" for usage.`,
    overwritePrompt: (n) => `Value ${n} exists, overwrite(Yes/No)? `,
    deleteValuePrompt: (n) => `Delete the registry value ${n} (Yes/No)? `,
    deleteKeyPrompt: (k) => `Permanently delete the registry key ${k} (Yes/No)? `,
    cancelled: "The operation was canceled by the user.",
  },
  powershell: {
    notRecognized: (n) =>
      `${n} : The term '${n}' is not recognized as the name of a cmdlet, function, script file, or operable program. ` +
      "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
  },
};

const ES: LocaleStrings = {
  oemCodePage: 850,
  ansiCodePage: 1252,
  cmd: {
    // Seen in public transcripts of Spanish Windows 10 (double quotes around the name).
    notRecognized: (n) => `"${n}" no se reconoce como un comando interno o externo,\r\nprograma o archivo por lotes ejecutable.`,
    syntaxIncorrect: "La sintaxis del comando no es correcta.",
    // unconfirmed
    echoIsOn: "ECHO está activado.",
    // unconfirmed
    envNotDefined: (n) => `La variable de entorno ${n} no está definida`,
    // unconfirmed
    activeCodePage: (cp) => `Página de códigos activa: ${cp}`,
    // unconfirmed
    invalidCodePage: "Página de códigos no válida",
    // unconfirmed
    fileNotFound: "El sistema no puede encontrar el archivo especificado.",
    versionWord: "Versión",
  },
  netsh: {
    commandNotFound: (c) => `No se encontró el siguiente comando: ${c}.`,
    // unconfirmed
    currentSettings: "Configuración actual del proxy de WinHTTP:",
    directAccess: "Acceso directo (sin servidor proxy).",
    // unconfirmed (modelled on the French "Serveur(s) proxy :")
    proxyServersLabel: "Servidor(es) proxy :",
    // unconfirmed
    bypassListLabel: "Lista de omisión     :",
    // unconfirmed
    none: "(ninguno)",
    // unconfirmed: translation of the English usage text.
    setProxyUsage: [
      "Uso: set proxy [proxy-server=]<nombre de servidor> [bypass-list=]<lista de hosts>",
      "",
      "Parámetros:",
      "",
      "  Etiqueta         Valor",
      "  proxy-server   - servidor proxy para el protocolo http o https",
      "  bypass-list    - lista de sitios que se deben visitar sin pasar por el",
      "                   proxy (use \"<local>\" para omitir todos los hosts de nombre corto)",
      "",
      "Ejemplos:",
      "",
      "  set proxy myproxy",
      "  set proxy myproxy:80 \"<local>;bar\"",
      "  set proxy proxy-server=\"http=myproxy;https=sproxy:88\" bypass-list=\"*.foo.com\"",
    ].join("\r\n"),
    // unconfirmed
    importProxyUsage: [
      "Uso: import proxy [source=]ie",
      "",
      "Parámetros:",
      "",
      "  Etiqueta         Valor",
      "  source         - \"ie\": importar la configuración de proxy de Internet Explorer del usuario actual",
      "",
      "Ejemplos:",
      "",
      "  import proxy source=ie",
    ].join("\r\n"),
    // unconfirmed
    invalidSource: "El parámetro no es correcto.",
  },
  proxycfg: {
    // unconfirmed: the whole proxycfg table (no Spanish proxycfg output found).
    banner: "Herramienta de configuración de proxy predeterminado de WinHTTP de Microsoft (R)",
    copyright: "Copyright (c) Microsoft Corporation. Reservados todos los derechos.",
    currentUnder: "Configuración actual del proxy de WinHTTP en:",
    directAccess: "Acceso directo (sin servidor proxy).",
    proxyServersLabel: "Servidor(es) proxy :",
    bypassListLabel: "Lista de omisión     :",
    none: "(ninguno)",
    updated: "Configuración de proxy actualizada",
    usage: [
      "uso:",
      "",
      "    proxycfg                            : muestra la configuración actual del proxy de WinHTTP",
      "    proxycfg -?                         : muestra esta ayuda",
      "    proxycfg -d                         : acceso directo a todos los servidores (sin proxy)",
      "    proxycfg -p <servidores> [<omisión>] : usa el servidor o servidores proxy, salvo la lista de omisión",
      "    proxycfg -u                         : usa el proxy manual de Internet Explorer del usuario actual",
      "    proxycfg -i                         : como -u, si proxycfg no se ha usado antes",
    ].join("\r\n"),
    ieNotManual:
      "Error al importar la configuración de proxy: Internet Explorer no está configurado con un servidor proxy manual.",
  },
  reg: {
    // unconfirmed
    notFound: "ERROR: El sistema no pudo encontrar la clave o el valor del Registro especificados.",
    // unconfirmed
    success: "La operación se completó correctamente.",
    // unconfirmed
    invalidSyntax: (op) => `ERROR: Sintaxis no válida.\r\nEscriba "REG ${op} /?" para su uso.`,
    // unconfirmed
    overwritePrompt: (n) => `El valor ${n} ya existe. ¿Desea sobrescribirlo (Sí/No)? `,
    // unconfirmed
    deleteValuePrompt: (n) => `¿Eliminar el valor del Registro ${n} (Sí/No)? `,
    // unconfirmed
    deleteKeyPrompt: (k) => `¿Eliminar permanentemente la clave del Registro ${k} (Sí/No)? `,
    // unconfirmed
    cancelled: "El usuario canceló la operación.",
  },
  powershell: {
    // unconfirmed
    notRecognized: (n) =>
      `${n} : El término '${n}' no se reconoce como nombre de un cmdlet, función, archivo de script o programa ` +
      "ejecutable. Compruebe si escribió correctamente el nombre o, si incluyó una ruta de acceso, compruebe que " +
      "dicha ruta es correcta e inténtelo de nuevo.",
  },
};

const IT: LocaleStrings = {
  oemCodePage: 850,
  ansiCodePage: 1252,
  cmd: {
    // Seen in public transcripts of Italian Windows 10 (double quotes, second line starts with a space).
    notRecognized: (n) => `"${n}" non è riconosciuto come comando interno o esterno,\r\n un programma eseguibile o un file batch.`,
    syntaxIncorrect: "La sintassi del comando non è corretta.",
    // unconfirmed
    echoIsOn: "ECHO attivato.",
    // unconfirmed
    envNotDefined: (n) => `Variabile di ambiente ${n} non definita`,
    // unconfirmed
    activeCodePage: (cp) => `Tabella codici attiva: ${cp}`,
    // unconfirmed
    invalidCodePage: "Tabella codici non valida",
    // unconfirmed
    fileNotFound: "Impossibile trovare il file specificato.",
    versionWord: "Versione",
  },
  netsh: {
    commandNotFound: (c) => `Impossibile trovare il comando seguente: ${c}.`,
    // unconfirmed
    currentSettings: "Impostazioni proxy WinHTTP correnti:",
    // unconfirmed
    directAccess: "Accesso diretto (nessun server proxy).",
    // unconfirmed
    proxyServersLabel: "Server proxy :",
    // unconfirmed
    bypassListLabel: "Elenco di bypass     :",
    // unconfirmed
    none: "(nessuno)",
    // unconfirmed: translation of the English usage text.
    setProxyUsage: [
      "Utilizzo: set proxy [proxy-server=]<nome server> [bypass-list=]<elenco host>",
      "",
      "Parametri:",
      "",
      "  Tag              Valore",
      "  proxy-server   - server proxy da utilizzare per il protocollo http e/o https",
      "  bypass-list    - elenco di siti da visitare senza passare per il",
      "                   proxy (utilizzare \"<local>\" per escludere tutti gli host con nome breve)",
      "",
      "Esempi:",
      "",
      "  set proxy myproxy",
      "  set proxy myproxy:80 \"<local>;bar\"",
      "  set proxy proxy-server=\"http=myproxy;https=sproxy:88\" bypass-list=\"*.foo.com\"",
    ].join("\r\n"),
    // unconfirmed
    importProxyUsage: [
      "Utilizzo: import proxy [source=]ie",
      "",
      "Parametri:",
      "",
      "  Tag              Valore",
      "  source         - \"ie\": importa le impostazioni proxy di Internet Explorer dell'utente corrente",
      "",
      "Esempi:",
      "",
      "  import proxy source=ie",
    ].join("\r\n"),
    // unconfirmed
    invalidSource: "Parametro non corretto.",
  },
  proxycfg: {
    // unconfirmed: the whole proxycfg table (no Italian proxycfg output found).
    banner: "Strumento di configurazione del proxy predefinito WinHTTP Microsoft (R)",
    copyright: "Copyright (c) Microsoft Corporation. Tutti i diritti riservati.",
    currentUnder: "Impostazioni proxy WinHTTP correnti in:",
    directAccess: "Accesso diretto (nessun server proxy).",
    proxyServersLabel: "Server proxy :",
    bypassListLabel: "Elenco di bypass     :",
    none: "(nessuno)",
    updated: "Impostazioni proxy aggiornate",
    usage: [
      "utilizzo:",
      "",
      "    proxycfg                            : mostra le impostazioni proxy WinHTTP correnti",
      "    proxycfg -?                         : mostra questa guida",
      "    proxycfg -d                         : accesso diretto a tutti i server (nessun proxy)",
      "    proxycfg -p <server> [<bypass>]     : usa i server proxy, tranne l'elenco di bypass",
      "    proxycfg -u                         : usa il proxy manuale di Internet Explorer dell'utente corrente",
      "    proxycfg -i                         : come -u, se proxycfg non è mai stato usato",
    ].join("\r\n"),
    ieNotManual:
      "Errore durante l'importazione delle impostazioni proxy: Internet Explorer non è configurato con un server proxy manuale.",
  },
  reg: {
    // unconfirmed
    notFound: "ERRORE: Impossibile trovare la chiave o il valore del Registro di sistema specificato.",
    // unconfirmed
    success: "Operazione completata.",
    // unconfirmed
    invalidSyntax: (op) => `ERRORE: sintassi non valida.\r\nDigitare "REG ${op} /?" per informazioni sull'utilizzo.`,
    // unconfirmed
    overwritePrompt: (n) => `Il valore ${n} esiste. Sovrascrivere (Sì/No)? `,
    // unconfirmed
    deleteValuePrompt: (n) => `Eliminare il valore del Registro di sistema ${n} (Sì/No)? `,
    // unconfirmed
    deleteKeyPrompt: (k) => `Eliminare definitivamente la chiave del Registro di sistema ${k} (Sì/No)? `,
    // unconfirmed
    cancelled: "Operazione annullata dall'utente.",
  },
  powershell: {
    // unconfirmed
    notRecognized: (n) =>
      `${n} : Termine '${n}' non riconosciuto come nome di cmdlet, funzione, programma eseguibile o file script. ` +
      "Controllare l'ortografia del nome o verificare che il percorso sia incluso e corretto, quindi riprovare.",
  },
};

const TABLES: Record<Locale, LocaleStrings> = { "en-US": EN, "es-ES": ES, "it-IT": IT };

export function strings(locale: Locale): LocaleStrings {
  return TABLES[locale];
}

export function oemCodePage(locale: Locale): number {
  return TABLES[locale].oemCodePage;
}
