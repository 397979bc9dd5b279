#!/bin/sh
# The entrypoint of the official node images, rewritten: `docker run IMAGE app.js` or
# `docker run IMAGE --version` runs node with those arguments; `docker run IMAGE bash` runs bash.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
