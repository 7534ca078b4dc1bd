/**
 * The bash functions the generated script calls: checks that stop early with
 * a message (root, br_netfilter, a device kind the kernel may lack), the
 * listening processes the lab's containers and services run, flanneld for
 * the UDP backend, and the cleanup that removes every namespace the script
 * made (their devices, routes and iptables rules go with them) after ending
 * the processes inside.
 *
 * The listener, the DNS responder and flanneld are small Python 3 programs:
 * a TCP listener reads one request and answers it (with the bytes in the
 * file its caller names, or a short page), a UDP one reads and drops; the
 * DNS responder stands in for CoreDNS: it answers from the zone the
 * simulator serves (kube/dns-zone.ts) and writes its answers as the
 * simulated CoreDNS writes them (kube/dns-server.ts, wire/dns.ts: the same
 * flags, TTL and sections, the same name compression, so the same lengths);
 * flanneld moves packets between flannel0 and UDP as flannel's proxy does,
 * TTL decremented on each crossing. Without python3 the script says so and
 * goes on without them. A pod's resolv.conf goes to /etc/netns/<namespace>/
 * (write_netns_file), which the cleanup removes with the namespace.
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

const DNS_RESPONDER_PY = `
import json, socket, struct, sys, time
port, zone = int(sys.argv[1]), json.loads(sys.argv[2])
domain = zone["domain"]
records = {r["name"]: r["addresses"] for r in zone["records"]}
empty = set(zone["empty"])
# lookupName (kube/dns-server.ts) on the zone: rcode, addresses, and whether the name is outside the zone (the upstream answers).
def lookup(name):
    n = name.lower()
    if n != domain and not n.endswith("." + domain):
        return 3, [], True
    if n in records:
        return 0, records[n], False
    return (0 if n in empty else 3), [], False
def read_name(b, at):
    labels, after, limit = [], -1, at
    while True:
        length = b[at]
        if length & 0xC0 == 0xC0:
            target = ((length & 0x3F) << 8) | b[at + 1]
            if target >= limit:
                raise ValueError("compression pointer does not point backwards")
            if after < 0:
                after = at + 2
            limit = at = target
        elif length & 0xC0:
            raise ValueError("label type")
        elif length == 0:
            return ".".join(labels), (after if after >= 0 else at + 1)
        else:
            labels.append(b[at + 1:at + 1 + length].decode("latin-1"))
            at += 1 + length
def skip_records(b, at, count):
    types = []
    for _ in range(count):
        _, at = read_name(b, at)
        types.append(struct.unpack("!H", b[at:at + 2])[0])
        at += 10 + struct.unpack("!H", b[at + 8:at + 10])[0]
    return types, at
class Message:
    # Names compressed as CoreDNS and the simulator write them: every suffix already written is pointed to.
    def __init__(self):
        self.out, self.seen = bytearray(), {}
    def name(self, n):
        labels = n.split(".") if n else []
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]).lower()
            if suffix in self.seen:
                self.out += struct.pack("!H", 0xC000 | self.seen[suffix])
                return
            if len(self.out) < 0x4000:
                self.seen[suffix] = len(self.out)
            raw = labels[i].encode("latin-1")
            self.out += bytes([len(raw)]) + raw
        self.out += b"\\0"
    def record(self, name, rtype, rclass, ttl, rdata):
        self.name(name)
        self.out += struct.pack("!HHI", rtype, rclass, ttl)
        at = len(self.out)
        self.out += b"\\0\\0"
        rdata()
        self.out[at:at + 2] = struct.pack("!H", len(self.out) - at - 2)
def answer(query):
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", query[:12])
    if flags & 0x8000 or qd != 1:
        return None
    qname, at = read_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[at:at + 4])
    _, at = skip_records(query, at + 4, an + ns)
    extra, _ = skip_records(query, at, ar)
    rcode, addresses, upstream = lookup(qname)
    answers = addresses if qtype == 1 else []
    opt = 41 in extra
    m = Message()
    rflags = 0x8000 | (0 if upstream else 0x0400) | (flags & 0x0100) | (0x0080 if upstream else 0) | rcode
    m.out += struct.pack("!6H", qid, rflags, 1, len(answers), 0 if answers else 1, 1 if opt else 0)
    m.name(qname)
    m.out += struct.pack("!HH", qtype, qclass)
    for a in answers:
        m.record(qname, 1, 1, zone["ttl"], lambda a=a: m.out.extend(socket.inet_aton(a)))
    if not answers:
        soa = zone["upstreamSoa"] if upstream else zone["soa"]
        def soa_data():
            m.name(soa["mname"])
            m.name(soa["rname"])
            serial = soa.get("serial", int(time.time()) & 0xFFFFFFFF)
            m.out += struct.pack("!5I", serial, soa["refresh"], soa["retry"], soa["expire"], soa["minimum"])
        m.record(soa["name"], 6, 1, soa["ttl"], soa_data)
    if opt:
        m.record("", 41, 1232, 0, lambda: None)
    return bytes(m.out)
def serve():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        query, peer = s.recvfrom(65535)
        try:
            reply = answer(query)
        except (ValueError, IndexError, struct.error):
            reply = None  # what it cannot parse, CoreDNS drops
        if reply is not None:
            s.sendto(reply, peer)
# Only run as a program does it serve: loaded by a test, its answers can be checked on their own.
if __name__ == "__main__":
    serve()
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

# load_dummy_module: the dummy module without the dummy0 its init would make in this machine's own
# namespace (numdummies=0), and a clear word when this kernel has none (no CONFIG_DUMMY).
load_dummy_module() {
  modprobe -q dummy numdummies=0 2>/dev/null || true
  local probe="\${P}probe"
  if ip netns add "$probe" 2>/dev/null; then
    if ! ip -n "$probe" link add probe0 type dummy >/dev/null 2>&1; then
      echo "$0: this kernel cannot make dummy devices (no dummy module): the session's 'ip link add ... type dummy' commands fail here" >&2
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

DNS_RESPONDER_PY='${DNS_RESPONDER_PY.replaceAll("'", `'\\''`)}'

# start_dns_responder NAMESPACE PORT ZONE: stands in for CoreDNS on udp/PORT, answering from ZONE (JSON) as the simulated CoreDNS does.
start_dns_responder() {
  if ! command -v python3 >/dev/null; then echo "$0: no python3: no DNS server on udp/$2 in $1, names in pods do not resolve" >&2; return 0; fi
  nohup ip netns exec "$1" python3 -c "$DNS_RESPONDER_PY" "$2" "$3" >/dev/null 2>&1 &
}

# write_netns_file NAMESPACE FILE LINE…: a file that \`ip netns exec\` mounts over /etc/FILE for the namespace's processes.
write_netns_file() {
  local ns="$1" file="$2"
  shift 2
  mkdir -p "/etc/netns/$ns"
  printf '%s\\n' "$@" >"/etc/netns/$ns/$file"
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

# cleanup: end the processes in the lab's namespaces, then delete the namespaces (and all they hold) and the files written for them in /etc/netns.
cleanup() {
  local ns pid
  for ns in "\${NAMESPACES[@]}"; do
    [ -e "/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  for ns in "\${NAMESPACES[@]}"; do
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
    if [ -d "/etc/netns/$ns" ]; then
      rm -f "/etc/netns/$ns/resolv.conf" "/etc/netns/$ns/nsswitch.conf"
      rmdir "/etc/netns/$ns" 2>/dev/null || true
    fi
  done
}
`;
}
