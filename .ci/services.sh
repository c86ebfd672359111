# shellcheck shell=bash
# Starts and stops the Ray head node the model-deployment tests use (tests/inference/
# test_serving.py reads MOODMOJI_TEST_RAY_ADDRESS), on 127.0.0.1. Sourced by .ci/run with the
# venv active. The PostgreSQL store tests start and stop their own server (tests/postgres.py:
# initdb and pg_ctl on a temporary folder and a loopback port), because they stop, crash and
# restart it; .ci/run only makes sure the server binaries are installed.

start_services() {
    local ray_port
    ray_port="$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # A loopback-only cluster for one test run: no token (Ray 2.5x turns token authentication on
    # for `ray start` by default, and the test processes must then carry the token).
    export RAY_AUTH_MODE=disabled
    ray start --head --node-ip-address 127.0.0.1 --port "$ray_port" --num-cpus 2 \
        --include-dashboard false --disable-usage-stats >/dev/null
    export MOODMOJI_TEST_RAY_ADDRESS="127.0.0.1:$ray_port"
    echo "services: Ray head on 127.0.0.1:$ray_port"
}

stop_services() {
    ray stop --force >/dev/null 2>&1 || true
}
