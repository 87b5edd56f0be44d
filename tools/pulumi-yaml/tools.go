//go:build tools

// Package tools records the Pulumi YAML language host (github.com/pulumi/pulumi-yaml, command cmd/pulumi-language-yaml)
// as a dependency of this module so go.mod and go.sum pin it and every module it needs. scripts/pulumi-engine.sh builds
// it with `go build github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml`.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
