#!/usr/bin/env bash
# lab.sh - the project's SSH test lab: build nodes in network namespaces (needs root).
#
#   lab.sh up       bring up the nodes of lab $LAB_ID and write $LAB_STATE/inventory.yml
#   lab.sh down     tear lab $LAB_ID down (idempotent; safe after a failed up)
#   lab.sh status   show what of lab $LAB_ID exists
#
# Each node is a network namespace attached by a veth pair to the lab's bridge
# in the root namespace, with its own sshd on <address>:22, its own ed25519
# host key, its own hostname (UTS namespace) and a private tmpfs work area at
# $LAB_STATE/noderoot (private mount namespace: the same path on every node,
# different contents, empty for the controller). Everything else on the
# filesystem is shared with the controller. Nodes have no default route: they
# reach each other and the controller address ($LAB_NET.$LAB_ID.1) only.
#
# Several labs coexist: LAB_ID selects the bridge, namespace and veth names
# and the /24. `up` holds a per-LAB_ID lock and exits with status 3 when that
# lab (or its subnet) is already in use, without touching it.
#
# Env:
#   LAB_ID         small integer 0..254                                [0]
#   LAB_STATE      state dir: keys, sshd configs, inventory, known_hosts [<repo>/.lab/$LAB_ID]
#   LAB_NET        first two octets of the lab subnets                   [10.77]
#   LAB_NODES      "name:arch ..."   [node-x86a:x86_64 node-x86b:x86_64 node-arm:aarch64]
#   LAB_NODE_SIZE  size of each node's private tmpfs                      [1g]
#   LAB_PYTHON     interpreter the nodes use (Debian python3 has python3-rpm) [/usr/bin/python3]
#   LAB_LOCK_DIR   where the per-lab lock files live                      [/run/lock]
#
# Outputs in $LAB_STATE: inventory.yml (group builders with children
# builders_<arch>), known_hosts (the nodes' real host keys), ssh_config (for
# `ssh -F $LAB_STATE/ssh_config node-x86a`), id_ed25519 (client key), env
# (shell-sourceable summary). SSH host key checking stays on.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

LAB_ID=${LAB_ID:-0}
LAB_NET=${LAB_NET:-10.77}
LAB_NODES=${LAB_NODES:-"node-x86a:x86_64 node-x86b:x86_64 node-arm:aarch64"}
LAB_NODE_SIZE=${LAB_NODE_SIZE:-1g}
LAB_PYTHON=${LAB_PYTHON:-/usr/bin/python3}
LAB_LOCK_DIR=${LAB_LOCK_DIR:-/run/lock}
SSHD=${SSHD:-/usr/sbin/sshd}

die() { echo "lab[$LAB_ID]: $*" >&2; exit 1; }
log() { echo "lab[$LAB_ID]: $*"; }

case "$LAB_ID" in
  ''|*[!0-9]*) die "LAB_ID must be an integer from 0 to 254, got '$LAB_ID'" ;;
esac
LAB_ID=$((10#$LAB_ID))
[ "$LAB_ID" -le 254 ] || die "LAB_ID must be an integer from 0 to 254, got $LAB_ID"
case "$LAB_NET" in
  *[!0-9.]*|*.*.*|.*|*.) die "LAB_NET must be two octets like 10.77, got '$LAB_NET'" ;;
  *.*) ;;
  *) die "LAB_NET must be two octets like 10.77, got '$LAB_NET'" ;;
esac

LAB_STATE=$(realpath -m "${LAB_STATE:-$repo/.lab/$LAB_ID}")   # absolute, no '..': paths in the inventory are compared
SUBNET="$LAB_NET.$LAB_ID"
CONTROLLER="$SUBNET.1"
BRIDGE="fblab${LAB_ID}br"          # <= 15 chars
NS_PREFIX="fblab${LAB_ID}-"        # namespace = $NS_PREFIX<node name>
NODE_ROOT="$LAB_STATE/noderoot"
LOCK="$LAB_LOCK_DIR/fedora-build-lab-$LAB_ID.lock"

# node_fields SPEC INDEX -> sets name arch addr ns vh vn
node_fields() {
  name=${1%%:*}; arch=${1##*:}
  addr="$SUBNET.$((10 + $2))"
  ns="$NS_PREFIX$name"
  vh="fb${LAB_ID}h$2"; vn="fb${LAB_ID}n$2"   # veth ends, <= 15 chars
}

check_nodes() {
  local spec i=0 seen=" " name arch addr ns vh vn
  for spec in $LAB_NODES; do
    i=$((i + 1))
    node_fields "$spec" "$i"
    case "$spec" in *:*) ;; *) die "LAB_NODES entry '$spec' must be name:arch" ;; esac
    case "$name" in ''|*[!a-zA-Z0-9-]*) die "LAB_NODES name '$name' may hold only letters, digits and '-'" ;; esac
    case "$arch" in ''|*[!a-zA-Z0-9_]*) die "LAB_NODES arch '$arch' of node $name is not an architecture name" ;; esac
    case "$seen" in *" $name "*) die "LAB_NODES names node $name twice" ;; esac
    seen="$seen$name "
  done
  [ "$i" -ge 1 ] || die "LAB_NODES is empty"
  [ "$i" -le 200 ] || die "LAB_NODES has more than 200 nodes"
}

need() { command -v "$1" >/dev/null 2>&1 || die "missing $1 (apt-get install -y $2)"; }

lock() { # take the per-lab lock on fd 9 (released when the script exits)
  mkdir -p "$LAB_LOCK_DIR"
  exec 9>"$LOCK"
  flock -w 60 9 || die "could not lock $LOCK within 60 s"
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$1"; }
link_exists() { ip link show "$1" >/dev/null 2>&1; }

# anything of this lab in the kernel? (prints what it finds)
lab_leftovers() {
  local found=1 spec i=0 name arch addr ns vh vn
  if link_exists "$BRIDGE"; then echo "bridge $BRIDGE"; found=0; fi
  for spec in $LAB_NODES; do
    i=$((i + 1)); node_fields "$spec" "$i"
    if ns_exists "$ns"; then echo "netns $ns"; found=0; fi
    if link_exists "$vh"; then echo "veth $vh"; found=0; fi
  done
  # any namespace with our prefix, also from a run with other LAB_NODES
  while read -r ns _; do
    case "$ns" in "$NS_PREFIX"*) echo "netns $ns"; found=0 ;; esac
  done < <(ip netns list 2>/dev/null)
  return $found
}

# kill every process living in network namespace $1 (sshd, sessions, children)
kill_ns_procs() {
  local ns=$1 pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 30); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  for _ in $(seq 1 30); do
    [ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ] && return 0
    sleep 0.1
  done
  echo "lab[$LAB_ID]: processes still alive in $ns: $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')" >&2
}

close_masters() {
  local s
  [ -d "$LAB_STATE/cp" ] || return 0
  for s in "$LAB_STATE"/cp/*; do
    [ -S "$s" ] || continue
    ssh -o ControlPath="$s" -O exit lab-node >/dev/null 2>&1 || true
    rm -f "$s"
  done
}

teardown() {
  local spec i=0 name arch addr ns vh vn other
  close_masters
  for spec in $LAB_NODES; do
    i=$((i + 1)); node_fields "$spec" "$i"
    if ns_exists "$ns"; then
      kill_ns_procs "$ns"
      ip netns del "$ns" 2>/dev/null || true
    fi
    ip link del "$vh" 2>/dev/null || true
    rm -f "$LAB_STATE/nodes/$name/sshd.pid"
  done
  # namespaces of this lab left by a run with different LAB_NODES
  while read -r other _; do
    case "$other" in
      "$NS_PREFIX"*) kill_ns_procs "$other"; ip netns del "$other" 2>/dev/null || true ;;
    esac
  done < <(ip netns list 2>/dev/null)
  ip link del "$BRIDGE" 2>/dev/null || true
  # namespace teardown is asynchronous in the kernel: wait for the veths to go
  for _ in $(seq 1 50); do
    ip -br link 2>/dev/null | grep -q "^fb${LAB_ID}[hn][0-9]" || break
    sleep 0.1
  done
  # a tmpfs on the node root can only exist in the nodes' own mount
  # namespaces, which died with their processes; unmount defensively in case
  # someone mounted it in the root namespace.
  if mountpoint -q "$NODE_ROOT" 2>/dev/null; then umount -l "$NODE_ROOT" || true; fi
  rm -f "$LAB_STATE/up"
}

write_sshd_config() { # DIR ADDR
  local d=$1 addr=$2
  mkdir -p "$d"
  rm -f "$d/ssh_host_ed25519_key" "$d/ssh_host_ed25519_key.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$(basename "$d")" -f "$d/ssh_host_ed25519_key"
  cat >"$d/sshd_config" <<EOF
ListenAddress $addr
Port 22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $LAB_STATE/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
StrictModes no
MaxStartups 50:30:100
MaxSessions 50
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
}

wait_port() { # ADDR PORT
  local _
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "lab[$LAB_ID]: sshd on $1:$2 did not come up" >&2
  return 1
}

write_outputs() {
  local spec i=0 name arch addr ns vh vn a arches=""
  : >"$LAB_STATE/known_hosts.tmp"
  : >"$LAB_STATE/ssh_config.tmp"
  for spec in $LAB_NODES; do
    i=$((i + 1)); node_fields "$spec" "$i"
    echo "$addr,$name $(cut -d' ' -f1,2 "$LAB_STATE/nodes/$name/ssh_host_ed25519_key.pub")" >>"$LAB_STATE/known_hosts.tmp"
    cat >>"$LAB_STATE/ssh_config.tmp" <<EOF
Host $name
  HostName $addr
  HostKeyAlias $name

EOF
    case " $arches " in *" $arch "*) ;; *) arches="$arches $arch" ;; esac
  done
  cat >>"$LAB_STATE/ssh_config.tmp" <<EOF
Host *
  User root
  IdentityFile $LAB_STATE/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $LAB_STATE/known_hosts
  LogLevel ERROR
EOF
  {
    echo "# Generated by tests/lab/lab.sh for lab $LAB_ID; rewritten on every 'up'."
    echo "all:"
    echo "  children:"
    echo "    builders:"
    echo "      vars:"
    echo "        ansible_user: root"
    echo "        ansible_port: 22"
    echo "        ansible_ssh_private_key_file: $LAB_STATE/id_ed25519"
    echo "        ansible_ssh_common_args: >-"
    echo "          -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$LAB_STATE/known_hosts -o IdentitiesOnly=yes"
    echo "        ansible_control_path_dir: $LAB_STATE/cp"
    echo "        ansible_python_interpreter: $LAB_PYTHON"
    echo "        lab_id: $LAB_ID"
    echo "        lab_controller_address: $CONTROLLER"
    echo "      children:"
    for a in $arches; do
      echo "        builders_$a:"
      echo "          hosts:"
      i=0
      for spec in $LAB_NODES; do
        i=$((i + 1)); node_fields "$spec" "$i"
        [ "$arch" = "$a" ] || continue
        echo "            $name:"
        echo "              ansible_host: $addr"
        echo "              build_arch: $arch"
        echo "              node_root: $NODE_ROOT"
        echo "              fedora_build_work_dir: $NODE_ROOT/work"
      done
    done
  } >"$LAB_STATE/inventory.yml.tmp"
  {
    echo "LAB_ID=$LAB_ID"
    echo "LAB_STATE=$LAB_STATE"
    echo "LAB_BRIDGE=$BRIDGE"
    echo "LAB_CONTROLLER=$CONTROLLER"
    echo "LAB_NODE_ROOT=$NODE_ROOT"
    echo "LAB_INVENTORY=$LAB_STATE/inventory.yml"
    echo "LAB_NODES='$LAB_NODES'"
  } >"$LAB_STATE/env.tmp"
  mv -f "$LAB_STATE/known_hosts.tmp" "$LAB_STATE/known_hosts"
  mv -f "$LAB_STATE/ssh_config.tmp" "$LAB_STATE/ssh_config"
  mv -f "$LAB_STATE/inventory.yml.tmp" "$LAB_STATE/inventory.yml"
  mv -f "$LAB_STATE/env.tmp" "$LAB_STATE/env"
}

on_up_error() {
  local rc=$?
  trap - EXIT
  echo "lab[$LAB_ID]: up failed (status $rc); tearing down what was created" >&2
  teardown >/dev/null 2>&1 || true
  exit "$rc"
}

up() {
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, mounts)"
  need "$SSHD" openssh-server; need ssh-keygen openssh-client; need ssh openssh-client
  need ip iproute2; need unshare util-linux; need flock util-linux
  [ -x "$LAB_PYTHON" ] || die "LAB_PYTHON $LAB_PYTHON is not executable"
  check_nodes
  lock
  local what
  if what=$(lab_leftovers); then
    echo "lab[$LAB_ID]: already in use ($(echo "$what" | sort -u | tr '\n' ' ')); run 'LAB_ID=$LAB_ID $0 down' or pick another LAB_ID" >&2
    exit 3
  fi
  if [ -n "$(ip -4 -o addr show to "$SUBNET.0/24" 2>/dev/null)" ] \
     || ip -4 route show exact "$SUBNET.0/24" 2>/dev/null | grep -q .; then
    echo "lab[$LAB_ID]: subnet $SUBNET.0/24 is already used on this host; pick another LAB_ID or LAB_NET" >&2
    exit 3
  fi
  # From here on everything of this LAB_ID is ours: a failure cleans it all up.
  trap on_up_error EXIT

  mkdir -p "$LAB_STATE" /run/sshd
  chmod 700 "$LAB_STATE"
  rm -rf "$LAB_STATE/cp" "$LAB_STATE/nodes" "$LAB_STATE/known_hosts" "$LAB_STATE/inventory.yml"
  mkdir -p "$LAB_STATE/cp" "$LAB_STATE/nodes" "$NODE_ROOT"
  chmod 700 "$LAB_STATE/cp"
  [ -f "$LAB_STATE/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "fedora-build-lab-$LAB_ID" -f "$LAB_STATE/id_ed25519"
  cp "$LAB_STATE/id_ed25519.pub" "$LAB_STATE/authorized_keys"
  chmod 600 "$LAB_STATE/authorized_keys"

  ip link add "$BRIDGE" type bridge
  ip addr add "$CONTROLLER/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up

  local spec i=0 name arch addr ns vh vn d
  for spec in $LAB_NODES; do
    i=$((i + 1)); node_fields "$spec" "$i"
    d="$LAB_STATE/nodes/$name"
    ip netns add "$ns"
    ip link add "$vh" type veth peer name "$vn"
    ip link set "$vn" netns "$ns"
    ip link set "$vh" master "$BRIDGE"
    ip link set "$vh" up
    ip -n "$ns" addr add "$addr/24" dev "$vn"
    ip -n "$ns" link set "$vn" up
    ip -n "$ns" link set lo up
    write_sshd_config "$d" "$addr"
    # own mount + UTS namespace: own hostname and a private tmpfs at $NODE_ROOT;
    # sshd daemonizes, so this returns once it listens (or failed). fd 9 (the
    # lab lock) must not leak into the long-lived sshd.
    # shellcheck disable=SC2016
    ip netns exec "$ns" unshare --mount --uts --propagation private \
      sh -c 'hostname "$1" && mount -t tmpfs -o "size=$2,mode=0755" "$3" "$4" && mkdir "$4/work" && exec "$5" -f "$6" -E "$7"' \
      lab-sshd "$name" "$LAB_NODE_SIZE" "fblab$LAB_ID-$name" "$NODE_ROOT" "$SSHD" "$d/sshd_config" "$d/sshd.log" 9>&-
    wait_port "$addr" 22
  done
  write_outputs
  date -u +%FT%TZ >"$LAB_STATE/up"
  trap - EXIT
  log "up: $LAB_STATE/inventory.yml (bridge $BRIDGE, controller $CONTROLLER, nodes: $LAB_NODES)"
}

down() {
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, mounts)"
  check_nodes
  lock
  teardown
  local what
  if what=$(lab_leftovers); then
    die "down left: $(echo "$what" | sort -u | tr '\n' ' ')"
  fi
  log "down"
}

status() {
  check_nodes
  local spec i=0 name arch addr ns vh vn pid rc=0
  if link_exists "$BRIDGE"; then echo "bridge $BRIDGE: $(ip -4 -o addr show dev "$BRIDGE" | awk '{print $4}')"
  else echo "bridge $BRIDGE: absent"; rc=1; fi
  for spec in $LAB_NODES; do
    i=$((i + 1)); node_fields "$spec" "$i"
    pid=""
    [ -f "$LAB_STATE/nodes/$name/sshd.pid" ] && pid=$(cat "$LAB_STATE/nodes/$name/sshd.pid")
    if ns_exists "$ns" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      echo "$name ($arch): netns $ns, $addr, sshd pid $pid"
    elif ns_exists "$ns"; then
      echo "$name ($arch): netns $ns, sshd not running"; rc=1
    else
      echo "$name ($arch): absent"; rc=1
    fi
  done
  [ -f "$LAB_STATE/inventory.yml" ] && echo "inventory: $LAB_STATE/inventory.yml"
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: LAB_ID=N $0 up|down|status" >&2; exit 2 ;;
esac
