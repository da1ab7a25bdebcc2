#!/usr/bin/env bash
# Deploy the shop with its Stream/Coze chat to fly.io, then check it the way the user's
# checklist does (docs/deploy.md). Safe to re-run: each step is idempotent.
set -euo pipefail

readonly REQUIRED_SECRETS=(
    CHATBOT_ENABLED CHATBOT_SHOP_ID SECRET_KEY DATABASE_URL ALLOWED_HOSTS
    STREAM_CHAT_ENABLED STREAM_CHAT_API_KEY STREAM_CHAT_API_SECRET COZE_BOT_ID
)
# Coze takes either a personal access token or a JWT OAuth service app.
readonly COZE_TOKEN_SECRETS=(COZE_API_TOKEN)
readonly COZE_OAUTH_SECRETS=(COZE_OAUTH_APP_ID COZE_OAUTH_KEY_ID COZE_OAUTH_PRIVATE_KEY)
readonly OPTIONAL_SECRETS=(CHATBOT_NODE_URL CHATBOT_SSO_SECRET CHATBOT_WEBHOOK_SECRET REDIS_URL)

APP="${FLY_APP:-evershop-fly}"
BASE_URL="${DEPLOY_BASE_URL:-}"
CHECK_PAGE="${DEPLOY_CHECK_PAGE:-/}"
HEALTH_TIMEOUT="${DEPLOY_HEALTH_TIMEOUT:-180}"
HEALTH_INTERVAL="${DEPLOY_HEALTH_INTERVAL:-5}"
DRY_RUN=0
SKIP_CHECKS=0
FLYCTL="${FLYCTL:-}"
WORK_DIR=""

usage() {
    cat <<EOF
Usage: $(basename "$0") [--app NAME] [--base-url URL] [--page PATH] [--dry-run] [--skip-checks]

Deploys the app to fly.io with a rolling strategy, after checking that flyctl is logged in
and every required secret is set; then waits for /health and runs the post-deploy checks
(GET /health, GET /health/ready, POST /api/chatbot/stream-chat-token).

Options:
  --app NAME       fly app (default: \$FLY_APP, else evershop-fly)
  --base-url URL   where the site answers (default: https://NAME.fly.dev; env DEPLOY_BASE_URL)
  --page PATH      a page that shows the chat button, for the CSRF cookie the token route
                   needs (default: /; env DEPLOY_CHECK_PAGE), e.g. /s/demo/
  --dry-run        print every command, prefixed with "+ ", and run none of them
  --skip-checks    deploy only: no health wait, no post-deploy checks
  -h, --help       this help

Environment:
  FLYCTL                  flyctl binary (default: flyctl, else fly)
  DEPLOY_HEALTH_TIMEOUT   seconds to wait for /health after the deploy (default 180)
  DEPLOY_HEALTH_INTERVAL  seconds between two /health polls (default 5)

Required secrets: ${REQUIRED_SECRETS[*]}
  plus ${COZE_TOKEN_SECRETS[*]}, or all of ${COZE_OAUTH_SECRETS[*]}
Optional secrets: ${OPTIONAL_SECRETS[*]}
EOF
}

say() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Every command that touches fly or the network goes through here, so --dry-run can show
# exactly what a real run would do.
run() {
    if ((DRY_RUN)); then
        local arg line="+"
        for arg in "$@"; do
            line+=" $(shell_quote "$arg")"
        done
        printf '%s\n' "$line"
        return 0
    fi
    "$@"
}

# Quotes an argument only when a shell would need it, so dry-run lines stay readable and
# can still be pasted into a terminal.
shell_quote() {
    if [[ "$1" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

print_rollback() {
    cat <<EOF

Rollback, if this release misbehaves:
  1. Switch the chat off at once (no new image; fly restarts the machines with the secret):
       ${FLYCTL} secrets set CHATBOT_ENABLED=false --app ${APP}
  2. Go back to the previous release: list releases with their images, then deploy the
     image of the last good one (fly has no separate rollback command):
       ${FLYCTL} releases --app ${APP} --image
       ${FLYCTL} deploy --app ${APP} --image <image-of-last-good-release> --strategy rolling
EOF
}

fail_after_deploy() {
    printf 'error: %s\n' "$*" >&2
    print_rollback
    exit 1
}

cleanup() {
    if [[ -n "$WORK_DIR" ]]; then
        rm -rf -- "$WORK_DIR"
    fi
}

parse_args() {
    while (($#)); do
        case "$1" in
            --app)
                [[ $# -ge 2 && -n "$2" ]] || die "--app needs a name"
                APP="$2"
                shift 2
                ;;
            --app=*)
                APP="${1#--app=}"
                shift
                ;;
            --base-url)
                [[ $# -ge 2 && -n "$2" ]] || die "--base-url needs a URL"
                BASE_URL="$2"
                shift 2
                ;;
            --base-url=*)
                BASE_URL="${1#--base-url=}"
                shift
                ;;
            --page)
                [[ $# -ge 2 && "$2" == /* ]] || die "--page needs a path starting with /"
                CHECK_PAGE="$2"
                shift 2
                ;;
            --page=*)
                CHECK_PAGE="${1#--page=}"
                shift
                ;;
            --dry-run)
                DRY_RUN=1
                shift
                ;;
            --skip-checks)
                SKIP_CHECKS=1
                shift
                ;;
            -h | --help)
                usage
                exit 0
                ;;
            *)
                usage >&2
                die "unknown option: $1"
                ;;
        esac
    done
    [[ "$APP" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "not a fly app name: $APP"
    [[ "$HEALTH_TIMEOUT" =~ ^[0-9]+$ ]] || die "DEPLOY_HEALTH_TIMEOUT must be a number of seconds"
    [[ "$HEALTH_INTERVAL" =~ ^[0-9]+$ ]] || die "DEPLOY_HEALTH_INTERVAL must be a number of seconds"
    BASE_URL="${BASE_URL:-https://${APP}.fly.dev}"
    BASE_URL="${BASE_URL%/}"
    [[ "$CHECK_PAGE" == /* ]] || die "--page must start with /"
}

find_flyctl() {
    if [[ -z "$FLYCTL" ]]; then
        if command -v flyctl >/dev/null 2>&1; then
            FLYCTL=flyctl
        elif command -v fly >/dev/null 2>&1; then
            FLYCTL=fly
        else
            FLYCTL=flyctl
            ((DRY_RUN)) && return 0
            die "flyctl is not installed: https://fly.io/docs/flyctl/install/"
        fi
    elif ! command -v "$FLYCTL" >/dev/null 2>&1; then
        ((DRY_RUN)) && return 0
        die "FLYCTL=$FLYCTL is not an executable on PATH"
    fi
}

check_login() {
    if ((DRY_RUN)); then
        run "$FLYCTL" auth whoami
        return 0
    fi
    local who
    who="$("$FLYCTL" auth whoami 2>/dev/null)" || die "not logged in to fly.io: run '$FLYCTL auth login'"
    say "fly.io user: ${who}"
}

# Names only: `secrets list` shows names and digests, never values, and nothing here
# prints more than the names.
secret_names() {
    local json
    json="$("$FLYCTL" secrets list --app "$APP" --json)" ||
        die "could not list the secrets of app '$APP' (does it exist? '$FLYCTL apps list')"
    grep -oE '"[Nn]ame"[[:space:]]*:[[:space:]]*"[A-Za-z_][A-Za-z0-9_]*"' <<<"$json" |
        sed -E 's/.*"([A-Za-z0-9_]+)"$/\1/' || true
}

check_secrets() {
    if ((DRY_RUN)); then
        run "$FLYCTL" secrets list --app "$APP" --json
        return 0
    fi
    local names name
    names="$(secret_names)"
    local -a missing=()
    has() { grep -qxF -- "$1" <<<"$names"; }

    for name in "${REQUIRED_SECRETS[@]}"; do
        has "$name" || missing+=("$name")
    done
    local coze_oauth_complete=1
    for name in "${COZE_OAUTH_SECRETS[@]}"; do
        has "$name" || coze_oauth_complete=0
    done
    if ! has "${COZE_TOKEN_SECRETS[0]}" && ((!coze_oauth_complete)); then
        for name in "${COZE_OAUTH_SECRETS[@]}"; do
            has "$name" || missing+=("$name")
        done
        missing+=("(or ${COZE_TOKEN_SECRETS[0]} instead of the COZE_OAUTH_* set)")
    fi

    local -a unset_optional=()
    for name in "${OPTIONAL_SECRETS[@]}"; do
        has "$name" || unset_optional+=("$name")
    done
    if ((${#unset_optional[@]})); then
        say "optional secrets not set: ${unset_optional[*]}"
    fi

    if ((${#missing[@]})); then
        printf 'error: app %s is missing required secrets:\n' "$APP" >&2
        printf '  %s\n' "${missing[@]}" >&2
        printf 'Set them with: %s secrets set NAME=value ... --app %s --stage\n' "$FLYCTL" "$APP" >&2
        exit 1
    fi
    say "all required secrets are set on ${APP}"
}

deploy() {
    say "deploying ${APP} (rolling)"
    run "$FLYCTL" deploy --app "$APP" --strategy rolling ||
        fail_after_deploy "flyctl deploy failed (see its output above; '$FLYCTL logs --app $APP')"
}

# http_get URL OUTFILE -> prints the status code ("000" when nothing answered).
http_status() {
    curl --silent --show-error --max-time 10 --output "$2" --write-out '%{http_code}' "$1" 2>/dev/null ||
        printf '000'
}

wait_for_health() {
    local url="${BASE_URL}/health"
    if ((DRY_RUN)); then
        run curl --silent --show-error --max-time 10 --output /dev/null --write-out '%{http_code}' "$url"
        return 0
    fi
    say "waiting up to ${HEALTH_TIMEOUT}s for ${url}"
    local deadline=$((SECONDS + HEALTH_TIMEOUT)) status
    while :; do
        status="$(http_status "$url" /dev/null)"
        [[ "$status" == 200 ]] && return 0
        if ((SECONDS >= deadline)); then
            fail_after_deploy "${url} did not answer 200 within ${HEALTH_TIMEOUT}s (last status: ${status})"
        fi
        sleep "$HEALTH_INTERVAL"
    done
}

post_deploy_checks() {
    local jar="" page="" body="" csrf_header_file=""
    if ((DRY_RUN)); then
        jar="<cookie-jar>"
        body="<response-file>"
    else
        WORK_DIR="$(mktemp -d)"
        jar="${WORK_DIR}/cookies.txt"
        page="${WORK_DIR}/page.html"
        body="${WORK_DIR}/body.json"
        csrf_header_file="${WORK_DIR}/csrf-header"
    fi

    # 1. Liveness.
    if ((DRY_RUN)); then
        run curl --silent --show-error --max-time 10 "${BASE_URL}/health"
    else
        local status
        status="$(http_status "${BASE_URL}/health" "$body")"
        if [[ "$status" != 200 ]] || ! grep -q '"ok"' "$body"; then
            fail_after_deploy "GET /health answered ${status}"
        fi
        say "GET /health: 200 ok"
    fi

    # 2. Readiness: the database, Redis, Stream and Coze as the machine sees them.
    if ((DRY_RUN)); then
        run curl --silent --show-error --max-time 10 "${BASE_URL}/health/ready"
    else
        status="$(http_status "${BASE_URL}/health/ready" "$body")"
        if [[ "$status" != 200 ]]; then
            fail_after_deploy "GET /health/ready answered ${status}: $(head -c 600 "$body")"
        fi
        if grep -q '"degraded"' "$body"; then
            warn "GET /health/ready: degraded (a vendor is unreachable): $(head -c 600 "$body")"
        else
            say "GET /health/ready: 200 ok"
        fi
    fi

    # 3. The token route, as the widget calls it: a page with the widget sets the CSRF
    #    cookie, the POST sends it back with the X-CSRFToken header and a same-origin
    #    Referer (Django checks the Referer on https).
    run curl --silent --show-error --max-time 10 --cookie-jar "$jar" --cookie "$jar" \
        --output "${page:-/dev/null}" "${BASE_URL}${CHECK_PAGE}" ||
        fail_after_deploy "GET ${CHECK_PAGE} failed"
    local csrf="<csrftoken>"
    if ((!DRY_RUN)); then
        csrf="$(awk '$6 == "csrftoken" { print $7 }' "$jar" | tail -n 1)"
        [[ -n "$csrf" ]] || fail_after_deploy \
            "GET ${CHECK_PAGE} set no csrftoken cookie: is the chat button on that page? (CHATBOT_ENABLED; try --page /s/<shop-id>/)"
        # The token goes to curl through a file, so it never shows in `ps`.
        printf 'X-CSRFToken: %s\n' "$csrf" >"$csrf_header_file"
    fi
    if ((DRY_RUN)); then
        run curl --silent --show-error --max-time 15 --cookie "$jar" \
            --header "X-CSRFToken: ${csrf}" --header "Referer: ${BASE_URL}${CHECK_PAGE}" \
            --header 'Content-Type: application/json' --data '{}' \
            --output "$body" --write-out '%{http_code}' "${BASE_URL}/api/chatbot/stream-chat-token"
    else
        status="$(curl --silent --show-error --max-time 15 --cookie "$jar" \
            --header "@${csrf_header_file}" --header "Referer: ${BASE_URL}${CHECK_PAGE}" \
            --header 'Content-Type: application/json' --data '{}' \
            --output "$body" --write-out '%{http_code}' \
            "${BASE_URL}/api/chatbot/stream-chat-token" 2>/dev/null)" || status="000"
        # The answer holds a user token: report which fields came back, never their values.
        if [[ "$status" != 200 ]]; then
            fail_after_deploy "POST /api/chatbot/stream-chat-token answered ${status}: $(
                grep -oE '"(code|message)"[[:space:]]*:[[:space:]]*"[^"]*"' "$body" | tr '\n' ' '
            )"
        fi
        grep -qE '"token"[[:space:]]*:[[:space:]]*"[^"]+"' "$body" ||
            fail_after_deploy "POST /api/chatbot/stream-chat-token: no token in the answer"
        grep -qE '"apiKey"[[:space:]]*:[[:space:]]*"[^"]*"' "$body" ||
            fail_after_deploy "POST /api/chatbot/stream-chat-token: no apiKey in the answer"
        if grep -qE '"apiKey"[[:space:]]*:[[:space:]]*""' "$body"; then
            warn "the token route answered an empty apiKey: is STREAM_CHAT_ENABLED=true with a key?"
        fi
        say "POST /api/chatbot/stream-chat-token: 200 with token and apiKey"
    fi
}

main() {
    parse_args "$@"
    trap cleanup EXIT
    ((DRY_RUN)) && say "dry run: printing commands, running none"
    find_flyctl
    check_login
    check_secrets
    deploy
    if ((SKIP_CHECKS)); then
        say "post-deploy checks skipped (--skip-checks)"
    else
        wait_for_health
        post_deploy_checks
        if ((DRY_RUN)); then
            say "dry run done: nothing was deployed"
        else
            say "deployed ${APP}: ${BASE_URL}"
        fi
        cat <<EOF

By hand, as the checklist says: open ${BASE_URL}${CHECK_PAGE} and look for the red chat button at the
bottom right; send a message and wait for the AI reply; '${FLYCTL} logs --app ${APP}' shows
the start-up lines ("Chatbot extension with Stream Chat loaded" ...).
EOF
    fi
    print_rollback
}

main "$@"
