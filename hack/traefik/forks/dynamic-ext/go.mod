// Written by model-guardian (scripts/traefik): Traefik's go.mod requires this nested module
// and replaces it with a folder that its module zip does not contain.
module github.com/traefik/traefik/dynamic/ext

go 1.21
