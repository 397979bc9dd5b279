//go:build tools

// Package tools keeps Traefik's command in this module's requirements (go mod tidy);
// build-traefik.sh builds github.com/traefik/traefik/v3/cmd/traefik from here.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
