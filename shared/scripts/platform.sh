#!/usr/bin/env bash
# make run / make stop / make status: the whole fleet on this machine, one process per
# deployable, logs and pid files under .platform/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
P=$ROOT/.platform
CONFIGURATION=${CONFIGURATION:-Release}
HOSTNAME_=$(hostname)
mkdir -p "$P/etc" "$P/logs" "$P/run"
chmod 700 "$P"

fleet() { grep -v '^#' shared/scripts/fleet.list | awk 'NF'; }

alive() { # name -> 0 when its recorded pid is one of our processes
  local pidfile=$P/run/$1.pid
  [[ -f $pidfile ]] || return 1
  local pid; pid=$(cat "$pidfile")
  [[ -d /proc/$pid ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "--config-file $P/etc/$1.conf"
}

secret() { # name -> a password generated once and kept under .platform/
  local f=$P/passwords
  touch "$f"; chmod 600 "$f"
  if ! grep -q "^$1=" "$f"; then echo "$1=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >> "$f"; fi
  grep "^$1=" "$f" | cut -d= -f2
}

prepare_infra() {
  local rabbit_pw; rabbit_pw=$(secret rabbitmq)
  rabbitmqctl -q add_vhost platform 2>/dev/null || true
  rabbitmqctl -q add_user platform "$rabbit_pw" 2>/dev/null || rabbitmqctl -q change_password platform "$rabbit_pw" >/dev/null
  rabbitmqctl -q set_permissions -p platform platform '.*' '.*' '.*' >/dev/null
  while read -r name project kind port db; do
    [[ $db == - ]] && continue
    local user=${db} pw; pw=$(secret "db_$db")
    # One database and one user per service: no service can read another's tables.
    mysql -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'127.0.0.1';
SQL
  done < <(fleet)
}

write_config() { # name kind port db
  local name=$1 kind=$2 port=$3 db=$4 f=$P/etc/$1.conf
  {
    echo "host = $HOSTNAME_"
    echo
    echo "[api]"
    echo "listen = http://127.0.0.1:$port"
    echo
    if [[ $db != - ]]; then
      echo "[database]"
      echo "connection = mysql://$db:$(secret "db_$db")@127.0.0.1:3306/$db"
      echo
    fi
    echo "[messaging]"
    echo "transport_url = rabbit://platform:$(secret rabbitmq)@127.0.0.1:5672/platform"
    echo
    echo "[keystone_authtoken]"
    echo "auth_url = http://127.0.0.1:5000"
    echo "www_authenticate_uri = http://127.0.0.1:5000"
    echo "username = $name"
    echo "password = $(secret "svc_$name")"
    echo "project_name = service"
    echo "region_name = RegionOne"
    echo "interface = internal"
    if [[ $name == identity ]]; then
      echo
      echo "[token]"
      echo "key_repository = $P/identity-keys"
    fi
    if [[ $name == image ]]; then
      echo
      echo "[glance_store]"
      echo "filesystem_store_datadir = $P/images"
    fi
    if [[ $name == volume ]]; then
      # One backend, "file": raw sparse files that the compute hosts of this machine reach at the same path.
      echo
      echo "[file]"
      echo "volume_driver = file"
      echo "volumes_dir = $P/volumes"
    fi
    if [[ $name == scheduler ]]; then
      echo
      echo "[placement]"
      echo "grpc_listen = http://127.0.0.1:8779"
    fi
    if [[ $name == compute-api || $name == conductor || $name == compute-agent ]]; then
      echo
      echo "[placement]"
      echo "grpc_url = http://127.0.0.1:8779"
    fi
    if [[ $name == compute-agent ]]; then
      # The libvirt driver comes with the data-plane work; until then two fake hypervisors,
      # $HOSTNAME_ and $HOSTNAME_-2, stand in (FAKE_HOSTS=N for more).
      echo
      echo "[compute]"
      echo "driver = fake"
      echo
      echo "[fake]"
      echo "host_count = ${FAKE_HOSTS:-2}"
    fi
  } > "$f"
  chmod 600 "$f"
}

# Keys, then keystone-manage-style bootstrap: admin, demo, a user per deployable, the catalog.
bootstrap_identity() {
  # Locals: the caller's loop reads name, project, ... and must keep them.
  local project=$1 f=$P/etc/bootstrap.conf name rest
  {
    echo "[bootstrap]"
    echo "admin_password = $(secret admin)"
    echo "demo_password = $(secret demo)"
    echo "region = RegionOne"
    echo
    echo "[bootstrap:service_users]"
    while read -r name rest; do echo "$name = $(secret "svc_$name")"; done < <(fleet)
    catalog identity keystone http://127.0.0.1:5000/v3
    catalog compute nova http://127.0.0.1:8774/v2.1
    catalog placement placement http://127.0.0.1:8778
    catalog network neutron http://127.0.0.1:9696
    catalog image glance http://127.0.0.1:9292
    catalog volumev3 cinderv3 http://127.0.0.1:8776/v3
    catalog block-storage cinder http://127.0.0.1:8776/v3
  } > "$f"
  chmod 600 "$f"
  dotnet "$(dll "$project")" keys setup --config-file "$P/etc/identity.conf" >> "$P/logs/identity.log" 2>&1 \
    || { echo "identity keys setup failed: see $P/logs/identity.log"; exit 1; }
  dotnet "$(dll "$project")" bootstrap --config-file "$P/etc/identity.conf" --config-file "$f" >> "$P/logs/identity.log" 2>&1 \
    || { echo "identity bootstrap failed: see $P/logs/identity.log"; exit 1; }
  openrc admin admin; openrc demo demo
}

catalog() { printf '\n[bootstrap:catalog:%s]\nname = %s\nurl = %s\n' "$1" "$2" "$3"; }

openrc() { # user project
  local f=$P/$1-openrc.sh
  cat > "$f" <<RC
export OS_AUTH_URL=http://127.0.0.1:5000/v3
export OS_USERNAME=$1
export OS_PASSWORD=$(secret "$1")
export OS_PROJECT_NAME=$2
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=RegionOne
RC
  chmod 600 "$f"
}

dll() { local project=$1; echo "$ROOT/$project/bin/$CONFIGURATION/net10.0/$(basename "$project").dll"; }

cmd_run() {
  bash shared/scripts/deps.sh --record
  echo "building ($CONFIGURATION)"
  dotnet build Platform.sln -c "$CONFIGURATION" -nologo -v q -clp:ErrorsOnly
  prepare_infra
  local started=()
  while read -r name project kind port db; do
    write_config "$name" "$kind" "$port" "$db"
    if alive "$name"; then continue; fi
    if [[ $db != - ]]; then
      dotnet "$(dll "$project")" db sync --config-file "$P/etc/$name.conf" >> "$P/logs/$name.log" 2>&1 \
        || { echo "db sync of $name failed: see $P/logs/$name.log"; exit 1; }
    fi
    if [[ $name == identity ]]; then bootstrap_identity "$project"; fi
    # Its own session, so it outlives this shell; the pid is the dotnet process itself.
    setsid bash -c 'echo $$ > "$1"; exec dotnet "$2" --config-file "$3"' _ \
      "$P/run/$name.pid" "$(dll "$project")" "$P/etc/$name.conf" >> "$P/logs/$name.log" 2>&1 < /dev/null &
    for _ in $(seq 1 50); do [[ -s $P/run/$name.pid ]] && break; sleep 0.1; done
    started+=("$name")
  done < <(fleet)

  local failed=0
  while read -r name project kind port db; do
    local ok=0
    for _ in $(seq 1 120); do
      if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then ok=1; break; fi
      alive "$name" || break
      sleep 0.5
    done
    if ((ok)); then printf '  %-15s ready   http://127.0.0.1:%s  pid %s\n' "$name" "$port" "$(cat "$P/run/$name.pid")"
    else printf '  %-15s FAILED  see %s\n' "$name" "$P/logs/$name.log"; failed=1; fi
  done < <(fleet)
  echo "started now: ${started[*]:-nothing (already running)}"
  echo "logs: $P/logs/   config: $P/etc/   stop with: make stop"
  echo "use the cloud:  source $P/admin-openrc.sh && openstack token issue   (non-admin: $P/demo-openrc.sh)"
  return $failed
}

cmd_stop() {
  local pids=()
  while read -r name project kind port db; do
    if alive "$name"; then
      local pid; pid=$(cat "$P/run/$name.pid")
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      echo "stopping $name (pid $pid)"
    fi
    rm -f "$P/run/$name.pid"
  done < <(fleet)
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 40); do [[ -d /proc/$pid ]] || break; sleep 0.25; done
    [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  # Stop the servers that `make run` itself started, and only those.
  if [[ -f $P/run/started-infra ]]; then
    sort -u "$P/run/started-infra" | while read -r svc; do echo "stopping $svc"; service "$svc" stop >/dev/null 2>&1 || true; done
    rm -f "$P/run/started-infra"
  fi
}

cmd_status() {
  while read -r name project kind port db; do
    if alive "$name"; then state=running; else state=stopped; fi
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    printf '  %-15s %-8s readyz=%s  http://127.0.0.1:%s\n' "$name" "$state" "$ready" "$port"
  done < <(fleet)
}

case "${1:-}" in
  run) cmd_run ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 run|stop|status" >&2; exit 2 ;;
esac
