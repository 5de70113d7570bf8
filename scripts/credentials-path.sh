#!/usr/bin/env bash
# Prints where the luoshi CLI looks for its credential file (same rule as services/cli/credentials.cc).
if [ -n "${LUOSHI_CREDENTIALS:-}" ]; then echo "$LUOSHI_CREDENTIALS"
elif [ -n "${XDG_CONFIG_HOME:-}" ]; then echo "$XDG_CONFIG_HOME/luoshi/credentials"
else echo "${HOME:-.}/.config/luoshi/credentials"; fi
