// Command pulumi-codegen-dotnet generates the native provider's .NET SDK from its package schema with the Pulumi
// .NET code generator at pkg/v3 v3.206.0 (go.mod says why not the CLI's version), without a language host (the
// pinned CLI's `pulumi package gen-sdk --language dotnet` needs pulumi-language-dotnet, which is not available here).
// It also validates the schema against the Pulumi package metaschema.
//
// Usage: pulumi-codegen-dotnet <schema.json> <out dir> dotnet
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	dotnetgen "github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noReferences loads no other package: the winrmproxy schema refers only to pulumi.json types.
type noReferences struct{}

func (noReferences) LoadPackage(pkg string, version *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; only pulumi.json references are supported", pkg)
}

func (noReferences) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; only pulumi.json references are supported", d.Name)
}

// offline answers every HTTP request with an empty body: the .NET generator downloads the package logo
// (codegen/dotnet getLogo, pkg.LogoURL or a default on raw.githubusercontent.com) and this machine has no internet.
// The SDK's logo.png is then empty; nothing else is fetched.
type offline struct{}

func (offline) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(http.NoBody), Request: req, Header: http.Header{}}, nil
}

func main() {
	http.DefaultClient.Transport = offline{}
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-codegen <schema.json> <out dir> <language>...")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	check(err)
	var spec schema.PackageSpec
	check(json.Unmarshal(raw, &spec))
	pkg, diags, err := schema.BindSpec(spec, noReferences{}, schema.ValidationOptions{})
	check(err)
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, diags.Error())
		os.Exit(1)
	}
	for _, lang := range os.Args[3:] {
		var files map[string][]byte
		switch lang {
		case "dotnet":
			files, err = dotnetgen.GeneratePackage("pulumi-winrm-proxy", pkg, nil, nil)
		default:
			err = fmt.Errorf("unknown language %q (dotnet)", lang)
		}
		check(err)
		for name, content := range files {
			path := filepath.Join(os.Args[2], lang, name)
			check(os.MkdirAll(filepath.Dir(path), 0o755))
			check(os.WriteFile(path, content, 0o644))
		}
		fmt.Fprintf(os.Stderr, "pulumi-codegen: %s: %d files in %s\n", lang, len(files), filepath.Join(os.Args[2], lang))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-codegen:", err)
		os.Exit(1)
	}
}
