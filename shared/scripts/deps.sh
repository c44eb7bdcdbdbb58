#!/usr/bin/env bash
# Installs and starts what the fleet and its tests stand on: MariaDB, RabbitMQ (with its
# management API, which tests use to make a virtual host per test class) and the openstack
# client. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE=.platform/run
mkdir -p "$STATE"
# `make run` passes --record: servers it starts are written down for `make stop` to stop.
# `make test` does not, so a later `make stop` never takes down what the tests started.
RECORD=/dev/null
[[ ${1:-} == --record ]] && RECORD=$STATE/started-infra

packages=(mariadb-server rabbitmq-server python3-openstackclient curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Start a server only if it is not answering, and remember that we started it so that
# `make stop` stops exactly what `make run` started.
if ! mysqladmin ping --silent >/dev/null 2>&1; then
  echo "starting MariaDB"
  service mariadb start >/dev/null
  echo mariadb >> "$RECORD"
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "starting RabbitMQ"
  service rabbitmq-server start >/dev/null
  echo rabbitmq-server >> "$RECORD"
fi
for _ in $(seq 1 60); do rabbitmqctl -q await_startup >/dev/null 2>&1 && break; sleep 1; done
if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null
fi
for _ in $(seq 1 60); do curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null && break; sleep 1; done

# The test user may create and drop databases: each test class makes its own.
mysql -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'platform_test'@'localhost' IDENTIFIED BY 'platform_test';
CREATE USER IF NOT EXISTS 'platform_test'@'127.0.0.1' IDENTIFIED BY 'platform_test';
GRANT ALL PRIVILEGES ON *.* TO 'platform_test'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'platform_test'@'127.0.0.1';
-- Ten services with connection pools, and test classes running side by side, pass Debian's 151.
SET GLOBAL max_connections = GREATEST(@@GLOBAL.max_connections, 1000);
SQL
