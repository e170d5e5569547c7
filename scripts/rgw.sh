#!/usr/bin/env bash
# Throwaway single-node Ceph RADOS Gateway (S3-compatible) for end-to-end tests.
#
#   bash scripts/rgw.sh start    # install (if missing) + start mon, osd, radosgw; idempotent
#   bash scripts/rgw.sh status   # exit 0 if radosgw answers and our daemons are alive
#   bash scripts/rgw.sh env      # print the test environment (export lines)
#   bash scripts/rgw.sh stop     # stop exactly the daemons we started and remove all state
#
# Everything (ceph.conf, mon/osd data, logs, pid files, admin sockets) lives in
# $RGW_DIR (default /tmp/edgesign-rgw). Nothing touches /etc/ceph, /var/lib/ceph or
# systemd. The OSD uses memstore, so object data lives in RAM and vanishes on stop.
#
# Only loopback is used: mon on 127.0.0.1:3300 (msgr2) / 127.0.0.1:6789 (msgr1),
# OSD on 127.0.0.1:6800-7300, radosgw on 127.0.0.1:7480 (override with RGW_PORT).
#
# S3 endpoint for tests (also printed by `start` and `env`):
#   path style:          http://127.0.0.1:7480/<bucket>/<key>
#   virtual-host style:  http://<bucket>.s3.localhost:7480/<key>
#     *.s3.localhost does not resolve through glibc/Node here. curl resolves any
#     *.localhost name to loopback by itself; node:http can connect to 127.0.0.1
#     with a "Host: <bucket>.s3.localhost:7480" header (fetch/undici ignores a
#     Host header); or start with RGW_ETC_HOSTS=1 to add /etc/hosts entries.
#
# Typical use:  eval "$(bash scripts/rgw.sh start)"   # logs go to stderr
#               ... run tests using $S3_ENDPOINT etc ...
#               bash scripts/rgw.sh stop
set -euo pipefail

RGW_DIR="$(realpath -m "${RGW_DIR:-/tmp/edgesign-rgw}")" # absolute: it appears in daemon command lines
RGW_PORT="${RGW_PORT:-7480}"
RGW_DNS_NAME="${RGW_DNS_NAME:-s3.localhost}"
# Bytes of RAM the memstore OSD advertises as its disk (data really is in RAM).
RGW_MEMSTORE_BYTES="${RGW_MEMSTORE_BYTES:-4294967296}"

# Fixed test credentials and buckets: these are throwaway values for a local,
# loopback-only server and are meant to be public.
S3_ENDPOINT="http://127.0.0.1:${RGW_PORT}"
S3_REGION="us-east-1"
S3_ACCESS_KEY_ID="EDGESIGNTESTACCESSKEY"
S3_SECRET_ACCESS_KEY="edgesign-test-secret-key-0123456789abcdef"
S3_BUCKET="edgesign-e2e"
S3_BUCKET_B="edgesign-e2e-b"
# The bucket of `npm start`'s demo tenant (scripts/demo.mjs), so its URLs work for real.
S3_BUCKET_DEMO="edgesign-demo"
S3_UID="edgesign-test"
# RGW_STS=1: enable STS and create a role the test user may assume through
# AssumeRole (s3:* on both buckets). Off by default: see the note in write_conf.
RGW_STS="${RGW_STS:-0}"
S3_ROLE_NAME="edgesign-e2e-role"
S3_ROLE_ARN="arn:aws:iam:::role/$S3_ROLE_NAME"
# RGW_ETC_HOSTS=1: also add "127.0.0.1 <bucket>.s3.localhost" lines to
# /etc/hosts (removed again by stop) so that clients which resolve names
# through the system resolver (Node, workerd) can use virtual-host URLs.
RGW_ETC_HOSTS="${RGW_ETC_HOSTS:-0}"
HOSTS_MARK="# edgesign-rgw"

PACKAGES=(ceph-common ceph-mon ceph-osd radosgw)

CONF="$RGW_DIR/ceph.conf"
LOG_DIR="$RGW_DIR/log"
RUN_DIR="$RGW_DIR/run"
# Written by spawn(). Stop order: radosgw first (it hangs on SIGTERM once the
# mon is gone), then the OSD, then the mon.
PID_FILES=("$RUN_DIR/radosgw.pid" "$RUN_DIR/osd.0.pid" "$RUN_DIR/mon.a.pid")

START_TS=$(date +%s.%N)

log() { printf '[rgw.sh] %s\n' "$*" >&2; }

elapsed() { awk -v s="$START_TS" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Run the ceph CLI tools against our private cluster only.
ceph_() { ceph -c "$CONF" --connect-timeout 10 "$@"; }
# radosgw-admin reads radosgw's config section but logs to a file of its own.
rgw_admin() { radosgw-admin -c "$CONF" -n client.rgw.edgesign --log-file="$LOG_DIR/radosgw-admin.log" "$@"; }

proc_alive() { # proc_alive PID -> 0 if PID is a running (non-zombie) process
  local state
  kill -0 "$1" 2>/dev/null || return 1
  # A daemon that died while we are still its parent is a zombie until reaped.
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ "$state" != Z ]]
}

pid_alive() { # pid_alive FILE -> 0 if the pid recorded in FILE is a running process
  local f="$1" pid
  [[ -s "$f" ]] || return 1
  pid=$(<"$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && proc_alive "$pid"
}

# spawn NAME CMD... : run a daemon in the foreground (-f: no fork, still logs to
# its log file) in a new session, in the background, and record its pid
# ourselves. Ceph's own --pid-file is written late (radosgw only once it is fully
# up) and deleted on exit, so it can't tell "still starting" from "crashed".
spawn() {
  local name="$1"
  shift
  setsid "$@" -f </dev/null >>"$LOG_DIR/$name.out" 2>&1 &
  echo "$!" >"$RUN_DIR/$name.pid"
}

rgw_answers() { # anonymous GET / -> 200 with an (empty) ListAllMyBuckets result
  curl -fsS --max-time 3 "$S3_ENDPOINT/" 2>/dev/null | grep -q ListAllMyBucketsResult
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_up() {
  local f
  for f in "${PID_FILES[@]}"; do pid_alive "$f" || return 1; done
  rgw_answers
}

print_env() {
  cat <<EOF
export S3_ENDPOINT=$S3_ENDPOINT
export S3_REGION=$S3_REGION
export S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID
export S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
export S3_BUCKET=$S3_BUCKET
export S3_BUCKET_B=$S3_BUCKET_B
export S3_VHOST_SUFFIX=$RGW_DNS_NAME:$RGW_PORT
EOF
  if [[ "$RGW_STS" == 1 ]]; then
    echo "export S3_ROLE_ARN=$S3_ROLE_ARN"
  fi
}

diagnostics() {
  log "---- diagnostics (state dir $RGW_DIR) ----"
  local f
  for f in "$LOG_DIR"/*.log "$LOG_DIR"/*.out; do
    [[ -s "$f" ]] || continue
    log "---- tail -n 40 $f ----"
    tail -n 40 "$f" >&2 || true
  done
  if [[ -e "$CONF" ]] && command -v ceph >/dev/null && pid_alive "$RUN_DIR/mon.a.pid"; then
    log "---- ceph -s ----"
    timeout 15 ceph -c "$CONF" --connect-timeout 5 -s >&2 2>&1 || true
  fi
}

fail() {
  log "ERROR: $*"
  diagnostics
  # Don't leave half a cluster running; the logs stay in $RGW_DIR/log until the
  # next start or stop.
  [[ -d "$RUN_DIR" ]] && stop_cluster
  log "failed after $(elapsed)s (logs kept in $LOG_DIR)"
  exit 1
}

wait_for() { # wait_for SECONDS DESCRIPTION PIDFILE CMD... -> poll CMD every 0.5 s
  # Gives up early if the daemon whose pid is in PIDFILE has exited.
  local limit="$1" what="$2" pidfile="$3" deadline
  shift 3
  deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    if [[ -s "$pidfile" ]] && ! pid_alive "$pidfile"; then
      fail "$(basename "$pidfile" .pid) exited while waiting for $what"
    fi
    (($(date +%s) < deadline)) || fail "timed out after ${limit}s waiting for $what"
    sleep 0.5
  done
}

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]} (Debian packages)"
  apt-get update -qq >&2
  # The packages' postinst scripts try to start services via systemd/invoke-rc.d;
  # that is harmless (no systemd here) and we never use those units anyway.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
  log "packages installed at $(elapsed)s"
}

write_conf() {
  local fsid="$1"
  cat >"$CONF" <<EOF
# Generated by scripts/rgw.sh: a throwaway one-mon, one-OSD (memstore) cluster.
[global]
fsid = $fsid
# One monitor, loopback only. msgr2 (3300) and msgr1 (6789) both on 127.0.0.1.
mon host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false

# No cephx: nothing to generate or distribute (no keyrings at all), and the
# cluster is reachable from loopback only. keyring=/dev/null silences the
# "unable to find a keyring" warnings from clients.
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null

# msgr2 "crc" mode = integrity checks without the secure (encrypted) mode,
# which needs cephx session keys that we do not have.
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc

# A single OSD: pools must have one replica, and the mon must allow that
# (size-1 pools are refused by default since Octopus) without warning about it.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
# Pick replicas across OSDs, not hosts (there is one of each anyway).
osd crush chooseleaf type = 0
# radosgw creates ~7 pools; keep PG counts tiny so they peer in a blink and
# stay under the per-OSD PG limit. There is no mgr, so no autoscaler either.
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# There is deliberately no mgr daemon: nothing here needs it (no dashboard,
# no autoscaler, no orchestrator) and it would add seconds and memory.

# Keep every file inside the state dir (admin sockets go to run dir).
run dir = $RUN_DIR
log file = $LOG_DIR/\$cluster-\$name.log
mon cluster log file = $LOG_DIR/\$cluster.log
crash dir = $RGW_DIR/crash
log to stderr = false
err to stderr = false

[mon]
mon data = $RGW_DIR/mon/\$cluster-\$id
# Let the test harness delete pools if it ever wants to.
mon allow pool delete = true
# radosgw's first start creates ~7 pools, each a few osdmap updates; the mon
# batches updates for 1 s by default, which made startup ~10 s slower.
paxos propose interval = 0.05

[osd]
osd data = $RGW_DIR/osd/\$cluster-\$id
# memstore keeps objects in RAM: no disk, no block device, instant mkfs.
osd objectstore = memstore
memstore device bytes = $RGW_MEMSTORE_BYTES
# With a ~4 GiB "disk" the auto weight would be ~0.004; give it a round weight.
osd crush initial weight = 1

[client.rgw.edgesign]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
# Enables virtual-host style addressing: <bucket>.$RGW_DNS_NAME
rgw dns name = $RGW_DNS_NAME
rgw data = $RGW_DIR/rgw
# Fewer threads than the default 512: this is a test server on a small box.
rgw thread pool size = 64
EOF
  if [[ "$RGW_STS" == 1 ]]; then
    cat >>"$CONF" <<EOF
# STS (AssumeRole -> temporary credentials with a session token). The key
# encrypts session tokens and must be exactly 16 characters; test-only value.
# Side effect: a bad signature is then reported as AccessDenied instead of
# SignatureDoesNotMatch (the STS auth engine gets the last word).
rgw sts key = edgesignstskey16
rgw s3 auth use sts = true
EOF
  fi
}

start_cluster() {
  local fsid uuid osd_id
  rm -rf "$RGW_DIR"
  mkdir -p "$RGW_DIR" "$LOG_DIR" "$RUN_DIR" "$RGW_DIR/crash" "$RGW_DIR/rgw" \
    "$RGW_DIR/mon/ceph-a" "$RGW_DIR/osd/ceph-0"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  echo "$fsid" >"$RGW_DIR/fsid"
  write_conf "$fsid"

  local port
  for port in 3300 6789 "$RGW_PORT"; do
    port_in_use "$port" && fail "127.0.0.1:$port is already in use by another process"
  done

  # --- monitor -------------------------------------------------------------
  monmaptool --create --clobber --fsid "$fsid" \
    --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' "$RGW_DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$RGW_DIR/monmap" >>"$LOG_DIR/setup.log" 2>&1 ||
    fail "ceph-mon --mkfs failed"
  spawn mon.a ceph-mon -c "$CONF" -i a
  wait_for 30 "the monitor" "$RUN_DIR/mon.a.pid" ceph_ mon stat
  log "mon up at $(elapsed)s"

  # --- OSD (memstore) ------------------------------------------------------
  uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_ osd new "$uuid" 2>>"$LOG_DIR/setup.log") || fail "ceph osd new failed"
  [[ "$osd_id" == 0 ]] || fail "expected osd id 0, got '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" >>"$LOG_DIR/setup.log" 2>&1 ||
    fail "ceph-osd --mkfs failed"
  spawn osd.0 ceph-osd -c "$CONF" -i 0
  wait_for 60 "the OSD to be up" "$RUN_DIR/osd.0.pid" osd_up
  log "osd up at $(elapsed)s"

  # --- radosgw ---------------------------------------------------------------
  # On first start radosgw creates its pools (.rgw.root, default.rgw.*) and the
  # default realm-less zonegroup "default" / zone "default".
  spawn radosgw radosgw -c "$CONF" -n client.rgw.edgesign
  wait_for 90 "radosgw to answer on $S3_ENDPOINT" "$RUN_DIR/radosgw.pid" rgw_answers
  log "radosgw answering at $(elapsed)s"
}

osd_up() { ceph_ osd dump 2>/dev/null | grep -q '^osd\.0 up'; }

setup_user_and_buckets() { # setup_user_and_buckets fresh|existing
  # A running server whose test buckets answer a signed HEAD is already set up:
  # skip radosgw-admin (each call costs ~1 s of startup).
  if [[ "$1" == existing ]] && s3_signed HEAD "/$S3_BUCKET" && s3_signed HEAD "/$S3_BUCKET_B" \
    && s3_signed HEAD "/$S3_BUCKET_DEMO"; then
    return 0
  fi
  if [[ "$1" == fresh ]] || ! rgw_admin user info --uid="$S3_UID" >/dev/null 2>&1; then
    rgw_admin user create --uid="$S3_UID" --display-name="edgesign e2e tests" \
      --access-key="$S3_ACCESS_KEY_ID" --secret="$S3_SECRET_ACCESS_KEY" \
      >>"$LOG_DIR/setup.log" 2>&1 || fail "radosgw-admin user create failed"
  fi
  local b
  for b in "$S3_BUCKET" "$S3_BUCKET_B" "$S3_BUCKET_DEMO"; do
    s3_put_bucket "$b" || fail "could not create bucket $b"
  done
  # STS role: the trust policy lets the test user assume it, the permission
  # policy grants s3:* on the two test buckets (callers may narrow it further
  # with an AssumeRole session Policy).
  [[ "$RGW_STS" == 1 ]] || return 0
  if [[ "$1" == fresh ]] || ! rgw_admin role get --role-name="$S3_ROLE_NAME" >/dev/null 2>&1; then
    rgw_admin role create --role-name="$S3_ROLE_NAME" --assume-role-policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/'"$S3_UID"'"]},"Action":["sts:AssumeRole"]}]}' \
      >>"$LOG_DIR/setup.log" 2>&1 || fail "radosgw-admin role create failed"
    rgw_admin role-policy put --role-name="$S3_ROLE_NAME" --policy-name=e2e-buckets --policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::'"$S3_BUCKET"'","arn:aws:s3:::'"$S3_BUCKET"'/*","arn:aws:s3:::'"$S3_BUCKET_B"'","arn:aws:s3:::'"$S3_BUCKET_B"'/*"]}]}' \
      >>"$LOG_DIR/setup.log" 2>&1 || fail "radosgw-admin role-policy put failed"
  fi
}

s3_signed() { # s3_signed METHOD PATH -> 0 on HTTP 2xx (curl signs with SigV4)
  # x-amz-content-sha256 is mandatory for header-signed S3 requests on radosgw.
  local method=(-X "$1")
  [[ "$1" == HEAD ]] && method=(-I) # curl -X HEAD would wait for a body
  curl -fsS -o /dev/null --max-time 5 "${method[@]}" \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT$2" 2>/dev/null
}

etc_hosts_add() {
  [[ "$RGW_ETC_HOSTS" == 1 ]] || return 0
  grep -qF "$HOSTS_MARK" /etc/hosts && return 0
  echo "127.0.0.1 $RGW_DNS_NAME $S3_BUCKET.$RGW_DNS_NAME $S3_BUCKET_B.$RGW_DNS_NAME $HOSTS_MARK" >>/etc/hosts
}

etc_hosts_remove() {
  grep -qF "$HOSTS_MARK" /etc/hosts 2>/dev/null || return 0
  local tmp
  tmp=$(grep -vF "$HOSTS_MARK" /etc/hosts)
  # Rewrite in place (not sed -i): /etc/hosts is often a bind mount in containers.
  printf '%s\n' "$tmp" >/etc/hosts
}

s3_put_bucket() { # SigV4-signed "PUT /<bucket>" (CreateBucket); 200 or "already owned by you" is fine
  local code
  code=$(curl -sS -o "$RUN_DIR/put-bucket.out" -w '%{http_code}' --max-time 10 -X PUT \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "$S3_ENDPOINT/$1") || return 1
  [[ "$code" == 200 ]] && return 0
  grep -q BucketAlreadyOwnedByYou "$RUN_DIR/put-bucket.out" && return 0
  log "PUT /$1 -> HTTP $code: $(cat "$RUN_DIR/put-bucket.out")"
  return 1
}

stop_cluster() {
  local f pid _ any=0
  for f in "${PID_FILES[@]}"; do
    [[ -s "$f" ]] || continue
    pid=$(<"$f")
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    # Only signal the pid if it is still the daemon we started (guards against
    # pid reuse after a reboot/crash): its command line names our ceph.conf.
    if proc_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF"; then
      any=1
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        proc_alive "$pid" || break
        sleep 0.2
      done
      if proc_alive "$pid"; then
        log "pid $pid ignored SIGTERM for 10s; sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
  done
  ((any)) && log "stopped daemons"
  return 0
}

cmd="${1:-}"
case "$cmd" in
  start)
    if [[ -e "$CONF" ]] && command -v radosgw >/dev/null && is_up; then
      log "already running (state dir $RGW_DIR); nothing to do"
      setup_user_and_buckets existing
    else
      install_packages
      # Leftovers of a crashed or half-started run: stop our old pids, start afresh.
      [[ -d "$RGW_DIR" ]] && stop_cluster
      start_cluster
      setup_user_and_buckets fresh
    fi
    etc_hosts_add
    log "ready in $(elapsed)s"
    print_env
    ;;
  stop)
    if [[ -d "$RGW_DIR" ]]; then
      stop_cluster
      rm -rf "$RGW_DIR"
    fi
    etc_hosts_remove
    ;;
  status)
    if [[ -e "$CONF" ]] && is_up; then
      echo "up: $S3_ENDPOINT"
    else
      echo "down"
      exit 1
    fi
    ;;
  env)
    print_env
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
