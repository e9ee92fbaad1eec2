#!/bin/sh
# As the official image: protected mode off, since the container's network is the boundary
# (without a config file Redis would refuse every client not on loopback).
set -eu
if [ "${1:-}" = redis-server ]; then exec "$@" --protected-mode no; fi
exec "$@"
