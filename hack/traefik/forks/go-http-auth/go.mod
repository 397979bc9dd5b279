// go.mod written by model-guardian (scripts/traefik): github.com/abbot/go-http-auth v0.4.0
// has none, and a replacement folder needs one.
module github.com/abbot/go-http-auth

go 1.21

require (
	golang.org/x/crypto v0.56.0
	golang.org/x/net v0.58.0
)
