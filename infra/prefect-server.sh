#!/usr/bin/env bash
# Start a local Prefect server on loopback for fraudbrain's scheduled deployments.
#   infra/prefect-server.sh            # foreground; Ctrl-C stops it
#   PORT=4300 infra/prefect-server.sh
# Then, in another shell:
#   export PREFECT_API_URL=http://127.0.0.1:${PORT:-4200}/api
#   .venv/bin/fraudbrain serve
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-4200}"
export PREFECT_HOME="${PREFECT_HOME:-$PWD/data/prefect}"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_SERVER_API_HOST=127.0.0.1
export PREFECT_SERVER_API_PORT="$PORT"
# the UI asks the API at this URL: without it, it looks for the API on the default port 4200
export PREFECT_UI_API_URL="http://127.0.0.1:${PORT}/api"
mkdir -p "$PREFECT_HOME"
echo "Prefect server: http://127.0.0.1:${PORT}  (UI and API; PREFECT_HOME=$PREFECT_HOME)"
exec .venv/bin/prefect server start --host 127.0.0.1 --port "$PORT"
