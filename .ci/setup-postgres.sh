#!/usr/bin/env bash
# Installs PostgreSQL 15 + pgvector (>= 0.7, for halfvec/HNSW), starts the
# cluster, and creates the test role/database used by the integration tests.
#
# Idempotent: every step checks whether it is already done, so re-running it on
# a machine where Postgres is installed and running is cheap (no network).
#
# Output contract:
#   stderr: progress lines prefixed "[setup-postgres]" (apt/make noise goes to $LOG)
#   stdout: exactly one line, the connection string, e.g.
#           postgres://shoplens:shoplens@127.0.0.1:5432/shoplens_test
#
# Env knobs:
#   SHOPLENS_APT_UPDATED=1   the caller already ran `apt-get update` in this run
#   SETUP_POSTGRES_LOG=path  where apt/make output goes (default /tmp/setup-postgres.log)
#   SHOPLENS_PG_SHARED_BUFFERS=size  the cluster's shared_buffers (default 2GB, room for the
#                            HNSW index of 100,000 products; restarts a running cluster to apply)
set -euo pipefail

PG_MAJOR=15
PG_CLUSTER=main
DB_USER=shoplens
DB_PASS=shoplens
DB_NAME=shoplens_test
# Oldest pgvector with halfvec + HNSW support for it.
PGVECTOR_MIN_VERSION=0.7.0
PG_CONFIG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
LOG="${SETUP_POSTGRES_LOG:-/tmp/setup-postgres.log}"

export DEBIAN_FRONTEND=noninteractive

: >"$LOG"
WORKDIR=""

log() { printf '[setup-postgres] %s\n' "$*" >&2; }

on_exit() {
  local rc=$?
  if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then rm -rf "$WORKDIR"; fi
  if [[ $rc -ne 0 ]]; then
    log "FAILED (exit $rc); last lines of $LOG:"
    tail -n 40 "$LOG" >&2 || true
  fi
  exit "$rc"
}
trap on_exit EXIT

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root"
  exit 1
fi

# Run a command as the postgres OS user from a directory it can read.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
psql_su() { as_postgres psql -X -q -v ON_ERROR_STOP=1 "$@"; }

APT_UPDATED="${SHOPLENS_APT_UPDATED:-0}"
apt_update_once() {
  if [[ "$APT_UPDATED" != 1 ]]; then
    log "apt-get update"
    apt-get update >>"$LOG" 2>&1
    APT_UPDATED=1
  fi
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# --- 1. packages --------------------------------------------------------------
PACKAGES=(postgresql "postgresql-server-dev-${PG_MAJOR}" build-essential)
missing=()
for p in "${PACKAGES[@]}"; do
  pkg_installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt_update_once
  log "apt-get install ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1
else
  log "packages already installed: ${PACKAGES[*]}"
fi

# --- 2. pgvector --------------------------------------------------------------
sharedir="$("$PG_CONFIG_BIN" --sharedir 2>/dev/null || echo "/usr/share/postgresql/${PG_MAJOR}")"
control="${sharedir}/extension/vector.control"

vector_version() {
  [[ -f "$control" ]] || return 0
  sed -n "s/^default_version *= *'\{0,1\}\([0-9.]*\)'\{0,1\}.*/\1/p" "$control" | head -n1
}
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

have="$(vector_version)"
if [[ -n "$have" ]] && version_ge "$have" "$PGVECTOR_MIN_VERSION"; then
  log "pgvector ${have} already installed"
else
  if [[ -n "$have" ]]; then
    log "pgvector ${have} is older than ${PGVECTOR_MIN_VERSION}; rebuilding"
  fi
  # The archive address comes from this machine's own apt configuration; it is
  # never written into the repository.
  archive=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    archive="$(awk 'tolower($1)=="uris:" {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [[ -z "$archive" && -f /etc/apt/sources.list ]]; then
    archive="$(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/) {print $i; exit} }' /etc/apt/sources.list)"
  fi
  if [[ -z "$archive" ]]; then
    log "could not find a Debian archive URI in /etc/apt/sources.list.d/debian.sources"
    exit 1
  fi

  WORKDIR="$(mktemp -d /tmp/pgvector-build.XXXXXX)"
  chmod 755 "$WORKDIR"
  mkdir -p "$WORKDIR/lists/partial" "$WORKDIR/download"
  # apt downloads as the unprivileged _apt user when it can write the target.
  if id _apt >/dev/null 2>&1; then chown _apt "$WORKDIR/lists/partial" "$WORKDIR/download"; fi
  printf 'deb-src %s trixie main\n' "$archive" >"$WORKDIR/sources.list"
  APT_SRC_OPTS=(
    -o "Dir::Etc::SourceList=$WORKDIR/sources.list"
    -o "Dir::Etc::SourceParts=/nonexistent"
    -o "Dir::State::Lists=$WORKDIR/lists"
  )

  log "fetching pgvector source package (Debian trixie)"
  apt-get "${APT_SRC_OPTS[@]}" update >>"$LOG" 2>&1
  (cd "$WORKDIR/download" && apt-get "${APT_SRC_OPTS[@]}" source --download-only pgvector) >>"$LOG" 2>&1

  shopt -s nullglob
  tarballs=("$WORKDIR"/download/pgvector_*.orig.tar.*)
  shopt -u nullglob
  if ((${#tarballs[@]} == 0)); then
    log "no pgvector_*.orig.tar.* downloaded"
    exit 1
  fi
  mkdir "$WORKDIR/src"
  tar -xf "${tarballs[0]}" -C "$WORKDIR/src" --strip-components=1
  log "building $(basename "${tarballs[0]}")"
  # OPTFLAGS="" drops pgvector's default -march=native (as Debian's own build
  # does), so the result does not depend on the exact CPU it was built on.
  make -C "$WORKDIR/src" -j"$(nproc)" PG_CONFIG="$PG_CONFIG_BIN" OPTFLAGS="" >>"$LOG" 2>&1
  make -C "$WORKDIR/src" install PG_CONFIG="$PG_CONFIG_BIN" OPTFLAGS="" >>"$LOG" 2>&1
  have="$(vector_version)"
  if [[ -z "$have" ]] || ! version_ge "$have" "$PGVECTOR_MIN_VERSION"; then
    log "pgvector install did not produce vector >= ${PGVECTOR_MIN_VERSION} (got '${have}')"
    exit 1
  fi
  log "pgvector ${have} installed"
fi

# --- 3. cluster ---------------------------------------------------------------
cluster_line() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1==v && $2==c'; }

if [[ -z "$(cluster_line)" ]]; then
  log "creating cluster ${PG_MAJOR}/${PG_CLUSTER}"
  pg_createcluster "$PG_MAJOR" "$PG_CLUSTER" >>"$LOG" 2>&1
fi

# Buffer pool: pgvector's HNSW search reads ~1,600 index pages per top-10 at 100,000 products;
# the index (~1 GB per 100,000 images) should fit in shared_buffers so they are all found there
# (bench:index --engine postgres --size 100000; README "Database").
CONF_FILE="/etc/postgresql/${PG_MAJOR}/${PG_CLUSTER}/conf.d/shoplens.conf"
WANT_CONF="shared_buffers = '${SHOPLENS_PG_SHARED_BUFFERS:-2GB}'"
conf_changed=0
if [[ "$(cat "$CONF_FILE" 2>/dev/null)" != "$WANT_CONF" ]]; then
  mkdir -p "$(dirname "$CONF_FILE")"
  printf '%s\n' "$WANT_CONF" >"$CONF_FILE"
  conf_changed=1
fi

status="$(cluster_line | awk '{print $4}')"
if [[ "$status" == online* && "$conf_changed" == 1 ]]; then
  log "restarting cluster ${PG_MAJOR}/${PG_CLUSTER} for ${WANT_CONF}"
  pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$PG_CLUSTER" restart >>"$LOG" 2>&1
elif [[ "$status" == online* ]]; then
  log "cluster ${PG_MAJOR}/${PG_CLUSTER} already running"
else
  log "starting cluster ${PG_MAJOR}/${PG_CLUSTER}"
  pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$PG_CLUSTER" start >>"$LOG" 2>&1
fi

PORT="$(cluster_line | awk '{print $3}')"
if [[ -z "$PORT" ]]; then
  log "could not determine the port of cluster ${PG_MAJOR}/${PG_CLUSTER}"
  exit 1
fi

for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
  sleep 1
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
  log "postgres is not accepting connections on 127.0.0.1:${PORT}"
  exit 1
fi

# --- 4. role, database, extension --------------------------------------------
log "ensuring role ${DB_USER} and database ${DB_NAME}"
role_exists="$(psql_su -p "$PORT" -d postgres -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '${DB_USER}'")"
if [[ "$role_exists" == 1 ]]; then
  psql_su -p "$PORT" -d postgres -c "ALTER ROLE ${DB_USER} WITH LOGIN CREATEDB PASSWORD '${DB_PASS}'" >>"$LOG" 2>&1
else
  psql_su -p "$PORT" -d postgres -c "CREATE ROLE ${DB_USER} WITH LOGIN CREATEDB PASSWORD '${DB_PASS}'" >>"$LOG" 2>&1
fi

db_exists="$(psql_su -p "$PORT" -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")"
if [[ "$db_exists" != 1 ]]; then
  psql_su -p "$PORT" -d postgres -c "CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}" >>"$LOG" 2>&1
fi

psql_su -p "$PORT" -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS vector" >>"$LOG" 2>&1
# Brings an extension created by an older pgvector up to the installed version.
psql_su -p "$PORT" -d "$DB_NAME" -c "ALTER EXTENSION vector UPDATE" >>"$LOG" 2>&1
ext_version="$(psql_su -p "$PORT" -d "$DB_NAME" -tA -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")"
log "vector extension ${ext_version} enabled in ${DB_NAME} (port ${PORT})"

printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$DB_USER" "$DB_PASS" "$PORT" "$DB_NAME"
