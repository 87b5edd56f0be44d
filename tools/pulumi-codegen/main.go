// Command pulumi-codegen generates the native provider's SDKs from its package schema with the Pulumi CLI's own code
// generators (github.com/pulumi/pulumi/pkg/v3/codegen at the CLI's pinned version), without a language host: the
// pinned Node.js (v3.68.0) and Go (v3.66.0) hosts have no GeneratePackage, and the Python and .NET hosts are not
// available from the Go module proxy (docs/native-provider.md, SDKs). It also validates the schema against the Pulumi package metaschema.
//
// Usage: pulumi-codegen <schema.json> <out dir> <language>...   (languages: nodejs, python, go)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
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

func main() {
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
		case "nodejs":
			files, err = nodejsgen.GeneratePackage("pulumi-winrm-proxy", pkg, nil, nil, false, nil)
		case "python":
			files, err = pythongen.GeneratePackage("pulumi-winrm-proxy", pkg, nil, nil)
		case "go":
			files, err = gogen.GeneratePackage("pulumi-winrm-proxy", pkg, nil)
		default:
			err = fmt.Errorf("unknown language %q (nodejs, python, go)", lang)
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
