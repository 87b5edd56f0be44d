// LEGACY-02 (WinRM over HTTP, messages sealed by NTLM, through the legacy network's proxy): one explicit provider
// for the host, its configuration the connection; the resources name it. Pulumi.yaml says how to run it.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"pulumi-winrm-proxy/sdk/go/winrmproxy"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		host, err := winrmproxy.NewProvider(ctx, "legacy-02", &winrmproxy.ProviderArgs{
			Endpoint: pulumi.String(cfg.Require("legacyEndpoint")),
			Auth: &winrmproxy.ConnectionAuthArgs{
				Mechanism: winrmproxy.ConnectionAuthMechanismNegotiate,
				Username:  pulumi.String(cfg.Require("deployUser")),
				Password:  cfg.RequireSecret("deployPassword"),
			},
			Proxy: &winrmproxy.ConnectionProxyArgs{Url: pulumi.String(cfg.Require("legacyProxy"))},
		})
		if err != nil {
			return err
		}
		winhttp, err := winrmproxy.NewWinHttpProxySetting(ctx, "legacy-02-winhttp", &winrmproxy.WinHttpProxySettingArgs{
			ProxyServer: pulumi.String(cfg.Require("winhttpProxy")),
			BypassList:  pulumi.StringArray{pulumi.String("<local>"), pulumi.String("*.corp.example")},
		}, pulumi.Provider(host))
		if err != nil {
			return err
		}
		_, err = winrmproxy.NewRemoteCommand(ctx, "legacy-02-marker", &winrmproxy.RemoteCommandArgs{
			Create: pulumi.Sprintf(`reg add "HKLM\SOFTWARE\Corp\Deployment" /v WinHttpProxy /t REG_SZ /d "%s" /f`, cfg.Require("winhttpProxy")),
			Delete: pulumi.String(`reg delete "HKLM\SOFTWARE\Corp\Deployment" /v WinHttpProxy /f`),
		}, pulumi.Provider(host), pulumi.DependsOn([]pulumi.Resource{winhttp}))
		if err != nil {
			return err
		}
		ctx.Export("proxyServer", winhttp.ProxyServer)
		return nil
	})
}
