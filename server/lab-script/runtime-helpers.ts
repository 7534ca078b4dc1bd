/**
 * The bash functions the generated script calls: checks that stop early with
 * a message (root, br_netfilter, a device kind the kernel may lack), the
 * listening processes the lab's containers and services run, flanneld for
 * the UDP backend, and the cleanup that removes every namespace the script
 * made (their devices, routes and iptables rules go with them) after ending
 * the processes inside.
 *
 * The listener and flanneld are small Python 3 programs: a TCP listener
 * reads one request and answers it (with the bytes in the file its caller
 * names, or a short page), a UDP one reads and drops; flanneld moves packets
 * between flannel0 and UDP as flannel's proxy does, TTL decremented on each
 * crossing. Without python3 the script says so and goes on without them.
 */

const LISTENER_PY = `
import os, socket, sys
proto, port, reply_file = sys.argv[1], int(sys.argv[2]), (sys.argv[3] if len(sys.argv) > 3 else "")
reply = open(reply_file, "rb").read() if reply_file else b"HTTP/1.1 200 OK\\r\\nContent-Length: 6\\r\\nConnection: close\\r\\n\\r\\ncnlab\\n"
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        s.recvfrom(65535)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(16)
while True:
    c, _ = s.accept()
    buf = b""
    while b"\\r\\n\\r\\n" not in buf:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    if b"\\r\\n\\r\\n" in buf:
        c.sendall(reply)
        while c.recv(4096):
            pass
    c.close()
`;

const FLANNELD_PY = `
import fcntl, ipaddress, os, select, socket, struct, sys
port = int(sys.argv[1])
leases = [(ipaddress.ip_network(n), a) for n, a in (x.split("=") for x in sys.argv[2].split(","))]
tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, 0x400454ca, struct.pack("16sH", b"flannel0", 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("0.0.0.0", port))
def ttl_down(packet):
    p = bytearray(packet)
    if len(p) < 20 or p[8] <= 1:
        return None
    p[8] -= 1
    p[10:12] = b"\\0\\0"
    total = sum((p[i] << 8) + p[i + 1] for i in range(0, (p[0] & 15) * 4, 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    p[10:12] = struct.pack("!H", ~total & 0xFFFF)
    return bytes(p)
while True:
    ready, _, _ = select.select([tun, udp], [], [])
    if tun in ready:
        packet = os.read(tun, 65535)
        dst = ipaddress.ip_address(packet[16:20])
        for net, addr in leases:
            if dst in net:
                out = ttl_down(packet)
                if out:
                    udp.sendto(out, (addr, port))
                break
    if udp in ready:
        data, _ = udp.recvfrom(65535)
        out = ttl_down(data)
        if out:
            os.write(tun, out)
`;

export function helperFunctions(): string {
  return `require_root() {
  if [ "$(id -u)" -ne 0 ]; then echo "$0: run me as root (sudo bash $0)" >&2; exit 1; fi
  command -v ip >/dev/null || { echo "$0: needs iproute2 (ip, bridge)" >&2; exit 1; }
}

require_br_netfilter() {
  if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
    echo "$0: bridged frames must pass iptables here: modprobe br_netfilter first" >&2
    exit 1
  fi
}

require_ipset() {
  command -v ipset >/dev/null || { echo "$0: this lab's policy rules test ip sets: install ipset first" >&2; exit 1; }
}

require_link_kind() {
  local probe="\${P}probe"
  if ip netns add "$probe" 2>/dev/null; then
    if ! ip -n "$probe" link add probe0 type "$1" >/dev/null 2>&1 && ! ip -n "$probe" link show tunl0 >/dev/null 2>&1; then
      ip netns del "$probe"
      echo "$0: this kernel cannot make $1 devices; this lab needs a kernel with its module" >&2
      exit 1
    fi
    ip netns del "$probe"
  fi
}

LISTENER_PY='${LISTENER_PY.replaceAll("'", `'\\''`)}'

# start_listener NAMESPACE tcp|udp PORT [REPLY_FILE]: a process with a listening socket, in the background.
start_listener() {
  if ! command -v python3 >/dev/null; then echo "$0: no python3: nothing listens on $2/$3 in $1" >&2; return 0; fi
  nohup ip netns exec "$1" python3 -c "$LISTENER_PY" "$2" "$3" "\${4:-}" >/dev/null 2>&1 &
}

FLANNELD_PY='${FLANNELD_PY.replaceAll("'", `'\\''`)}'

# start_flanneld NAMESPACE PORT LEASES: flannel's UDP proxy between flannel0 and PORT.
start_flanneld() {
  if ! command -v python3 >/dev/null; then echo "$0: no python3: no flanneld in $1, pods cannot reach other nodes" >&2; return 0; fi
  nohup ip netns exec "$1" python3 -c "$FLANNELD_PY" "$2" "$3" >/dev/null 2>&1 &
  # flannel0 has a carrier once flanneld holds it open.
  for _ in $(seq 50); do
    ip -n "$1" link show flannel0 | grep -q LOWER_UP && return 0
    sleep 0.1
  done
  echo "$0: flanneld did not start in $1" >&2
  return 1
}

# wait_listening NAMESPACE tcp|udp PORT: until the socket exists (a few seconds at most).
wait_listening() {
  local flag=-ltn
  [ "$2" = udp ] && flag=-lun
  for _ in $(seq 50); do
    ip netns exec "$1" ss -H "$flag" "sport = :$3" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
}

# cleanup: end the processes in the lab's namespaces, then delete the namespaces (and all they hold).
cleanup() {
  local ns pid
  for ns in "\${NAMESPACES[@]}"; do
    [ -e "/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  for ns in "\${NAMESPACES[@]}"; do
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
  done
}
`;
}
