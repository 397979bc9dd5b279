// Package ext stands in for Traefik's nested module github.com/traefik/traefik/dynamic/ext
// (written by model-guardian, scripts/traefik). Traefik embeds HTTP and Router inline in
// its dynamic configuration as extension points; this build has no extensions, so they
// are empty and change nothing in the configuration.
package ext

// HTTP is embedded in dynamic.HTTPConfiguration.
type HTTP struct{}

// Router is embedded in dynamic.Router.
type Router struct{}

// RouterIng extends the router read from Ingress annotations.
type RouterIng struct{}

// ToRouter carries what RouterIng adds to a router.
type ToRouter struct{}
