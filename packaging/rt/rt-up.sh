#!/usr/bin/env bash
# Start a real Request Tracker 5 on 127.0.0.1 for the integration tests (Debian's request-tracker5
# with SQLite). Installs it with apt-get when missing (root needed), initialises a fresh database
# once (custom fields Tags and Severity on queue General), starts rt-server and writes an env file:
#   $RT_DIR/rt.env  ->  RT_URL, RT_TOKEN (an RT::AuthToken for root), RT_PID
# Idempotent: a running server is reused. RT_FRESH=1 restores the empty database first.
set -euo pipefail

RT_DIR=${RT_DIR:-/tmp/assist-rt}
RT_PORT=${RT_PORT:-18080}
BASE="http://127.0.0.1:$RT_PORT"
SERVER=/usr/share/request-tracker5/libexec/rt-server
SETUP=/usr/sbin/rt-setup-database-5
say() { echo "[rt-up] $*" >&2; }

install_rt() {
    [ "$(id -u)" = 0 ] || { say "Request Tracker is not installed and installing needs root"; exit 1; }
    say "installing request-tracker5 with SQLite (apt-get, ~30 s)"
    debconf-set-selections <<'SEL'
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/rtname string assist.test
request-tracker5 request-tracker5/organization string assist.test
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1
request-tracker5 request-tracker5/webpath string /
request-tracker5 request-tracker5/correspondaddress string rt@localhost
request-tracker5 request-tracker5/commentaddress string rt-comment@localhost
SEL
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show request-tracker5 >/dev/null 2>&1 || apt-get update -qq
    apt-get install -y -qq --no-install-recommends request-tracker5 rt5-db-sqlite curl ca-certificates \
        >"$RT_DIR/apt.log" 2>&1 || { tail -30 "$RT_DIR/apt.log" >&2; exit 1; }
}

mkdir -p "$RT_DIR/etc.d" "$RT_DIR/var" "$RT_DIR/mason" "$RT_DIR/sessions"
if [ ! -x "$SERVER" ] || [ ! -x "$SETUP" ] || ! dpkg -s rt5-db-sqlite >/dev/null 2>&1 || ! command -v curl >/dev/null; then
    install_rt
fi

export RT_SITE_CONFIG="$RT_DIR/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$RT_DIR/etc.d"
PIDFILE="$RT_DIR/rt-server.pid"
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' -u root:password "$BASE/REST/2.0/rt")" = 200 ]; }
alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

write_config() {  # $1: database file
    cat > "$RT_SITE_CONFIG" <<CFG
Set(\$rtname, 'assist.test');
Set(\$Organization, 'assist.test');
Set(\$CorrespondAddress, 'rt@localhost');
Set(\$CommentAddress, 'rt-comment@localhost');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$1');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $RT_PORT);
Set(\$WebPath, '');
Set(\$WebBaseURL, '$BASE');
Set(\$Timezone, 'UTC');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
Set(\$LogToSTDERR, 'error');
Set(\$MailCommand, 'mbox');
Set(\$VarPath, '$RT_DIR/var');
Set(\$MasonDataDir, '$RT_DIR/mason');
Set(\$MasonSessionDir, '$RT_DIR/sessions');
# RT checks the API token with bcrypt on every request: at the default cost (12) that is 0.3 s of CPU per
# call on a 2-core machine, which is all a history import of a few hundred tickets would measure. A test
# server hashes with cost 4; the connector's behaviour is the same.
Set(\$BcryptCost, 4);
1;
CFG
}

if alive && [ "${RT_FRESH:-0}" = 1 ]; then RT_DIR="$RT_DIR" bash "$(dirname "$0")/rt-down.sh" >&2; fi

if ! alive; then
    if [ ! -f "$RT_DIR/empty.db" ]; then
        say "creating the database"
        write_config "$RT_DIR/empty.db.tmp"
        rm -f "$RT_DIR/empty.db.tmp"
        cat > "$RT_DIR/fields.pl" <<'PL'
@CustomFields = (
    { Name => 'Tags', Type => 'FreeformMultiple', LookupType => 'RT::Queue-RT::Ticket', Queue => 'General',
      Description => 'Tags set by Assist' },
    { Name => 'Severity', Type => 'SelectSingle', LookupType => 'RT::Queue-RT::Ticket', Queue => 'General',
      Values => [ { Name => 'Low', SortOrder => 1 }, { Name => 'Medium', SortOrder => 2 },
                  { Name => 'High', SortOrder => 3 } ] },
);
1;
PL
        rm -f "$RT_DIR/token"
        "$SETUP" --action init --skip-create >"$RT_DIR/setup.log" 2>&1
        "$SETUP" --action insert --datafile "$RT_DIR/fields.pl" >>"$RT_DIR/setup.log" 2>&1
        perl -e '
            use lib "/usr/local/share/request-tracker5/lib", "/usr/share/request-tracker5/lib";
            use RT; RT::LoadConfig(); RT::Init();
            my $u = RT::User->new(RT->SystemUser); $u->Load("root") or die "no root user\n";
            my ($id, $msg, $token) = RT::AuthToken->new(RT->SystemUser)->Create(
                Owner => $u->Id, Description => "assist tests");
            die "token: $msg\n" unless $id; print "$token\n";' > "$RT_DIR/token" 2>>"$RT_DIR/setup.log"
        mv "$RT_DIR/empty.db.tmp" "$RT_DIR/empty.db"
        rm -f "$RT_DIR/rt5.db"
    fi
    write_config "$RT_DIR/rt5.db"
    if [ ! -f "$RT_DIR/rt5.db" ] || [ "${RT_FRESH:-0}" = 1 ]; then cp "$RT_DIR/empty.db" "$RT_DIR/rt5.db"; fi
    if answers; then say "port $RT_PORT answers but the server is not ours; stop it first"; exit 1; fi
    say "starting rt-server on $BASE"
    setsid nohup "$SERVER" --host 127.0.0.1 --port "$RT_PORT" --max-workers "${RT_WORKERS:-4}" \
        >"$RT_DIR/rt-server.log" 2>&1 </dev/null &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 600); do
        answers && break
        alive || { say "rt-server exited:"; tail -20 "$RT_DIR/rt-server.log" >&2; exit 1; }
        sleep 0.1
    done
    answers || { say "rt-server not answering after 60 s"; tail -20 "$RT_DIR/rt-server.log" >&2; exit 1; }
fi

printf 'RT_URL=%s\nRT_TOKEN=%s\nRT_PID=%s\n' "$BASE" "$(cat "$RT_DIR/token")" "$(cat "$PIDFILE")" > "$RT_DIR/rt.env"
say "ready: $BASE (env in $RT_DIR/rt.env)"
