//go:build tools

// Package tools records the Go language host as a dependency of this module so go.mod and go.sum pin it and every
// module it needs. scripts/pulumi-engine.sh builds it with
// `go build github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go`.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
