//go:build tools

// Package tools records the Pulumi CLI as a dependency of this module so go.mod and go.sum pin it and every module it
// needs. scripts/pulumi-engine.sh builds it with `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
