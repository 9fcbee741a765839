#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# craft_frames.py - hostile guest output for colo-xdp's end-to-end tests:
# a table of malformed and odd-but-valid frames, sent raw on a VM's
# interface, and floods of many distinct flows.
#
#   craft_frames.py list
#       one line per case: NAME EXPECT, where EXPECT is the parse_errors
#       reason the XDP program must count it under, "ok" (a valid frame:
#       compared and released), "unsendable" (AF_PACKET refuses it: no
#       XDP program can see it) or "veth_drop" (sent by a guest whose MTU
#       was raised, dropped by the veth before XDP).
#   craft_frames.py send --iface IF [--role primary|secondary] [--count N]
#                        NAME|all|malformed|valid ...
#       sends each case N times on IF (an AF_PACKET socket: run it in the
#       VM's namespace); prints "NAME sent N" or "NAME error ERRNO".
#   craft_frames.py verify --iface IF --pri-ns NS --sec-ns NS
#                          [--count-pri N] [--count-sec N] --stats-cmd CMD
#                          NAME|malformed ...
#       one case at a time: sends it N times from each VM (sockets opened
#       in both namespaces by one process), then reads parse_errors with
#       CMD (a colo-xdp stats --json command line) until the count moved;
#       prints "NAME ok|BAD expect=REASON:N got=REASON:N,...". Exits 1 if
#       any case was counted under another reason or not exactly N times.
#   craft_frames.py count [--hex] PCAP NAME|all ...
#       prints "from_vm N" (frames with the VMs' source MAC), then "NAME N":
#       how many of those carry the case's marker (or, for a case without
#       payload, its IP header); --hex: and each frame in hex.
#   craft_frames.py flood --iface IF --count N [--proto udp|syn]
#                         [--first-port P] [--ports-per-dst K] [--dport D]
#                         [--same-port P] [--size BYTES] [--rate PPS]
#       N frames VM -> client, each a new flow (distinct source/destination
#       port pair from --first-port on), or all on one flow with
#       --same-port (payloads then differ by a sequence number). Prebuilt
#       with struct, not scapy: a guest opening connections without end
#       is only a threat at hundreds of thousands of frames a second.
#
# Every crafted frame carries "CRAFT:<name>;" where the test can find it
# (in the payload, or in the bytes past a cut-short header), so a capture
# tells which case, if any, leaked. Scapy builds the table; it is imported
# only by the commands that need it, it takes a second to load.

import argparse
import errno
import os
import socket
import struct
import sys
import time

VM_MAC = "52:54:00:12:34:56"
CLIENT_MAC = "52:54:00:77:00:01"
VM_IP4 = "10.77.0.2"
CLIENT_IP4 = "10.77.0.1"
VM_IP6 = "fd77::2"
CLIENT_IP6 = "fd77::1"


def marker(name):
    return ("CRAFT:%s;" % name).encode()


# --- the table ----------------------------------------------------------

def build_cases():
    """[(name, expect, builder(role) -> bytes, what)] in a stable order."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt,
                                    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop)
    from scapy.layers.l2 import Dot1AD, Dot1Q, Ether

    def eth(t=None):
        e = Ether(src=VM_MAC, dst=CLIENT_MAC)
        if t is not None:
            e.type = t
        return e

    def ip4(**kw):
        return IP(src=VM_IP4, dst=CLIENT_IP4, **kw)

    def ip6(**kw):
        return IPv6(src=VM_IP6, dst=CLIENT_IP6, **kw)

    cases = []

    def case(name, expect, what, build):
        # build(name, role) -> scapy packet or bytes
        def b(role, name=name):
            p = build(name, role)
            return p if isinstance(p, bytes) else bytes(p)
        cases.append((name, expect, b, what))

    m = marker
    # Valid cases: each its own source port (40001 up), so that flows never
    # mix in the comparator. Malformed ones use fixed ports from 40199 down.
    port = iter(range(40001, 40100))
    next_port = {}

    def reserve(name):
        next_port[name] = next(port)

    # -- cut short by the kernel, never seen by XDP
    case("eth_runt_13", "unsendable",
         "13 bytes: AF_PACKET refuses less than an Ethernet header (EINVAL)",
         lambda n, r: bytes(eth(0x0800))[:13])
    case("jumbo_3014", "veth_drop",
         "3014 bytes from a guest whose MTU was raised to 3000: the veth "
         "drops it (peer MTU 1500), ENOBUFS",
         lambda n, r: (eth() / ip4() / UDP(sport=40170, dport=9) /
                       (m(n) + b"J" * (3014 - 42 - len(m(n))))))
    case("oversize_1515", "unsendable",
         "1515 bytes untagged on a 1500 MTU: AF_PACKET refuses it (EMSGSIZE)",
         lambda n, r: (eth() / ip4() / UDP(sport=40199, dport=9) /
                       (m(n) + b"x" * (1515 - 42 - len(m(n))))))

    # -- Ethernet and VLAN
    case("vlan_trunc_outer", "vlan_trunc",
         "ethertype 802.1Q and only 2 bytes of the tag",
         lambda n, r: bytes(eth(0x8100)) + b"\x00\x05")
    case("vlan_trunc_inner", "vlan_trunc",
         "two 802.1Q tags, the second cut after 2 bytes",
         lambda n, r: bytes(eth() / Dot1Q(vlan=5, type=0x8100)) + b"\x00\x06")
    case("vlan_depth_3", "vlan_depth",
         "three 802.1Q tags, then IPv4/UDP",
         lambda n, r: (eth() / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) /
                       ip4() / UDP(sport=40198, dport=9) / m(n)))
    case("vlan_depth_qinq_3", "vlan_depth",
         "802.1ad, 802.1Q, 802.1Q, then IPv4/UDP",
         lambda n, r: (eth() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) /
                       ip4() / UDP(sport=40197, dport=9) / m(n)))

    # -- IPv4
    case("ip4_trunc_empty", "ip4_trunc",
         "ethertype IPv4, nothing after the Ethernet header (14 bytes)",
         lambda n, r: bytes(eth(0x0800)))
    case("ip4_trunc_19", "ip4_trunc",
         "19 bytes of IPv4 header",
         lambda n, r: bytes(eth() / ip4(proto=17))[:14 + 19])
    case("ip4_trunc_vlan", "ip4_trunc",
         "one VLAN tag, then 10 bytes of IPv4",
         lambda n, r: bytes(eth() / Dot1Q(vlan=7) / ip4(proto=17))[:18 + 10])
    case("ip4_ihl_4", "ip4_ihl", "IHL 4 (16 bytes) < 5",
         lambda n, r: eth() / ip4(ihl=4, proto=17) / m(n))
    case("ip4_ihl_0", "ip4_ihl", "IHL 0",
         lambda n, r: eth() / ip4(ihl=0, proto=17) / m(n))
    case("ip4_ihl_beyond", "ip4_ihl",
         "IHL 15 (60 bytes) in a frame with 36 bytes after Ethernet",
         lambda n, r: bytes(eth() / ip4(ihl=15, proto=17, len=36,
                                        options=[]))[:14 + 20] +
         b"\x00" * 4 + m(n)[:12])
    case("ip4_len_beyond", "ip4_len",
         "total length 1000 in a 60-byte frame",
         lambda n, r: eth() / ip4(len=1000) / UDP(sport=40196, dport=9) / m(n))
    case("ip4_len_lt_ihl", "ip4_len", "total length 12 < IHL*4",
         lambda n, r: eth() / ip4(len=12) / UDP(sport=40195, dport=9) / m(n))
    case("ip4_version_6", "ip_version",
         "ethertype IPv4, version field 6",
         lambda n, r: eth(0x0800) / ip6(nh=17, plen=8 + len(m(n))) /
         UDP(sport=40194, dport=9) / m(n))

    # -- IPv6
    case("ip6_trunc_39", "ip6_trunc", "39 bytes of IPv6 header",
         lambda n, r: bytes(eth() / ip6(nh=17, plen=0))[:14 + 39])
    case("ip6_version_4", "ip_version",
         "ethertype IPv6, an IPv4 packet",
         lambda n, r: eth(0x86DD) / ip4() / UDP(sport=40193, dport=9) /
         (m(n) + b"x" * 20))
    case("ip6_len_beyond", "ip6_len",
         "payload length 1000 in a short frame",
         lambda n, r: eth() / ip6(plen=1000) / UDP(sport=40192, dport=9) / m(n))
    case("ip6_len_max", "ip6_len", "payload length 65535",
         lambda n, r: eth() / ip6(plen=65535) / UDP(sport=40191, dport=9) / m(n))

    def chain(n, hdr, count, sport):
        p = ip6()
        for _ in range(count):
            p = p / hdr()
        return eth() / p / UDP(sport=sport, dport=9) / m(n)

    case("ip6_ext_9_dst", "ip6_exthdr",
         "9 destination-options headers (the parser walks 8)",
         lambda n, r: chain(n, IPv6ExtHdrDestOpt, 9, 40190))
    case("ip6_ext_20_hbh", "ip6_exthdr",
         "20 hop-by-hop headers, a looping-ish chain",
         lambda n, r: chain(n, IPv6ExtHdrHopByHop, 20, 40189))
    case("ip6_ext_past_plen", "ip6_exthdr",
         "hop-by-hop header of 2048 bytes in a 100-byte packet",
         lambda n, r: eth() / ip6() /
         IPv6ExtHdrHopByHop(len=255, autopad=0) / m(n) / (b"\x00" * 40))
    case("ip6_ext_none", "ip6_exthdr",
         "next header hop-by-hop, payload length 0",
         lambda n, r: eth() / ip6(nh=0, plen=0))
    case("ip6_frag_hdr_cut", "ip6_exthdr",
         "next header fragment, 4 bytes of the 8-byte header",
         lambda n, r: eth() / ip6(nh=44, plen=4) / b"\x11\x00\x00\x01")

    # -- L4 headers
    case("tcp4_trunc", "l4_trunc", "IPv4, 12 bytes of TCP header",
         lambda n, r: bytes(eth() / ip4(len=20 + 12) /
                            TCP(sport=40188, dport=9))[:14 + 32])
    case("tcp6_trunc", "l4_trunc", "IPv6, 19 bytes of TCP header",
         lambda n, r: bytes(eth() / ip6(plen=19) /
                            TCP(sport=40187, dport=9))[:14 + 59])
    case("udp4_trunc", "l4_trunc", "IPv4, 4 bytes of UDP header",
         lambda n, r: bytes(eth() / ip4(len=24, proto=17)) +
         struct.pack("!HH", 40186, 9))
    case("udp6_trunc", "l4_trunc", "IPv6, 7 bytes of UDP header",
         lambda n, r: bytes(eth() / ip6(nh=17, plen=7)) +
         struct.pack("!HHHH", 40185, 9, 7, 0)[:7])
    case("udp4_trunc_padded", "l4_trunc",
         "IPv4 total length ends 4 bytes into UDP; padding follows",
         lambda n, r: bytes(eth() / ip4(len=24, proto=17)) +
         struct.pack("!HHHH", 40184, 9, 8, 0) + m(n))
    case("icmp4_trunc", "l4_trunc", "IPv4, 4 bytes of ICMP",
         lambda n, r: bytes(eth() / ip4(len=24, proto=1)) + b"\x08\x00\x00\x00")
    case("tcp_doff_4", "tcp_doff", "TCP data offset 4 (16 bytes)",
         lambda n, r: eth() / ip4() / TCP(sport=40183, dport=9, dataofs=4) / m(n))
    case("tcp_doff_0", "tcp_doff", "TCP data offset 0",
         lambda n, r: eth() / ip6() / TCP(sport=40182, dport=9, dataofs=0) / m(n))
    case("tcp_doff_beyond", "tcp_doff",
         "TCP data offset 15 (60 bytes), 20-byte segment",
         lambda n, r: eth() / ip4() / TCP(sport=40181, dport=9, dataofs=15))
    case("tcp_doff_past_totlen", "tcp_doff",
         "TCP data offset 8, IPv4 total length covers 24 bytes of it, padding",
         lambda n, r: bytes(eth() / ip4(len=20 + 24, proto=6)) +
         bytes(TCP(sport=40180, dport=9, dataofs=8, options=[]))[:20] +
         b"\x01" * 12 + m(n))

    # -- valid, if odd: compared, never dropped. Each case gets a port of
    # its own so that its primary and secondary copies meet.
    for nm in ("frag4_first", "frag4_later", "frag6_first", "frag6_later",
               "ip6_ext_8_dst", "tcp_bad_opts", "tcp_opt_past_hdr",
               "udp4_empty", "udp6_empty", "ip4_proto253_empty",
               "ip6_nonext_empty", "frame_1514", "frame_1518_vlan",
               "pad_differs", "ip4_options", "tcp4_frag_first",
               "tcp4_frag_later"):
        reserve(nm)

    case("frag4_first", "ok", "IPv4 first fragment (MF, offset 0) of UDP",
         lambda n, r: eth() / ip4(flags="MF", frag=0, id=0x4242, proto=17) /
         UDP(sport=next_port[n], dport=9, len=400) / m(n) / (b"f" * 64))
    case("frag4_later", "ok", "IPv4 later fragment (offset 64), no ports",
         lambda n, r: eth() / ip4(frag=64, id=0x4343, proto=17) / m(n) /
         (b"g" * 64))
    case("frag6_first", "ok", "IPv6 first fragment (M, offset 0) of UDP",
         lambda n, r: eth() / ip6() /
         IPv6ExtHdrFragment(m=1, offset=0, id=0x4444) /
         UDP(sport=next_port[n], dport=9, len=400) / m(n) / (b"h" * 64))
    case("frag6_later", "ok", "IPv6 later fragment (offset 64)",
         lambda n, r: eth() / ip6() /
         IPv6ExtHdrFragment(m=1, offset=64, id=0x4545, nh=17) / m(n) /
         (b"i" * 64))
    case("ip6_ext_8_dst", "ok", "8 destination-options headers, then UDP",
         lambda n, r: chain(n, IPv6ExtHdrDestOpt, 8, next_port[n]))
    case("tcp_bad_opts", "ok",
         "TCP (mid-stream ACK with data), option lengths 0 and 255",
         lambda n, r: tcp_raw_opts(n, next_port[n],
                                   b"\x63\x00\x02\xff\x01\x01\x01\x01"))
    case("tcp_opt_past_hdr", "ok",
         "TCP option whose length runs past the header (MSS len 40)",
         lambda n, r: tcp_raw_opts(n, next_port[n], b"\x02\x28\x05\xb4"))
    case("udp4_empty", "ok", "IPv4 UDP, zero payload",
         lambda n, r: eth() / ip4(id=next_port[n]) /
         UDP(sport=next_port[n], dport=9))
    case("udp6_empty", "ok", "IPv6 UDP, zero payload",
         lambda n, r: eth() / ip6(fl=next_port[n]) /
         UDP(sport=next_port[n], dport=9))
    case("ip4_proto253_empty", "ok", "IPv4 protocol 253, no payload at all",
         lambda n, r: eth() / ip4(proto=253, id=next_port[n]))
    case("ip6_nonext_empty", "ok", "IPv6 'no next header', payload length 0",
         lambda n, r: eth() / ip6(nh=59, plen=0, fl=next_port[n]))
    case("frame_1514", "ok", "a 1514-byte IPv4 UDP frame (full MTU)",
         lambda n, r: eth() / ip4() / UDP(sport=next_port[n], dport=9) /
         (m(n) + b"z" * (1514 - 42 - len(m(n)))))
    case("frame_1518_vlan", "ok",
         "a 1518-byte frame: one VLAN tag and a full 1500-byte IPv4 packet",
         lambda n, r: eth() / Dot1Q(vlan=9) / ip4() /
         UDP(sport=next_port[n], dport=9) /
         (m(n) + b"v" * (1518 - 46 - len(m(n)))))
    case("pad_differs", "ok",
         "IPv4 UDP with 20 bytes of Ethernet padding, different per role",
         lambda n, r: bytes(eth() / ip4() / UDP(sport=next_port[n], dport=9) /
                            m(n)) +
         (b"\x00" if r == "primary" else b"\xff") * 20)
    case("ip4_options", "ok", "IPv4 with IHL 6 (one NOP option word)",
         lambda n, r: eth() / ip4(options=b"\x01\x01\x01\x00") /
         UDP(sport=next_port[n], dport=9) / m(n))
    case("tcp4_frag_first", "ok",
         "IPv4 first fragment of a TCP segment",
         lambda n, r: eth() / ip4(flags="MF", id=0x4646, proto=6) /
         TCP(sport=next_port[n], dport=9, flags="PA", seq=5, ack=1) / m(n) /
         (b"t" * 32))
    case("tcp4_frag_later", "ok",
         "IPv4 later fragment of a TCP segment",
         lambda n, r: eth() / ip4(frag=32, id=0x4747, proto=6) / m(n) /
         (b"u" * 32))
    return cases


def tcp_raw_opts(name, sport, opts):
    """IPv4 TCP PSH/ACK with raw option bytes (a multiple of 4)."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    doff = 5 + len(opts) // 4
    tcp = bytearray(bytes(TCP(sport=sport, dport=9, flags="PA", seq=1000,
                              ack=1, dataofs=5)))
    tcp[12] = doff << 4
    seg = bytes(tcp) + opts + marker(name)
    p = Ether(src=VM_MAC, dst=CLIENT_MAC) / IP(src=VM_IP4, dst=CLIENT_IP4,
                                                 proto=6) / seg
    return bytes(p)


def select(cases, names):
    out = []
    for want in names:
        hit = [c for c in cases if want == "all" or c[0] == want or
               (want == "malformed" and c[1] not in ("ok", "unsendable",
                                                    "veth_drop")) or
               (want == "valid" and c[1] == "ok")]
        if not hit:
            sys.exit("craft_frames: no case '%s'" % want)
        out += [c for c in hit if c not in out]
    return out


def raw_socket(iface, netns=None):
    """An AF_PACKET socket on iface, in the named network namespace if
    given (/run/netns/NAME): a socket stays in the namespace it was made
    in, so one process can send from both VMs."""
    if not netns:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        return s
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + netns, os.O_RDONLY)
    try:
        if libc.setns(target, clone_newnet):
            raise OSError(ctypes.get_errno(), "setns " + netns)
        try:
            return raw_socket(iface)
        finally:
            if libc.setns(home, clone_newnet):
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
        os.close(target)


def send_frame(s, frame, tries=1):
    """Sends one frame; with tries > 1 a full veth queue (ENOBUFS) is
    waited out (a veth also says ENOBUFS for a frame over its peer's MTU,
    so the table's cases are sent once)."""
    for _ in range(tries):
        try:
            s.send(frame)
            return 0
        except OSError as e:
            if e.errno != errno.ENOBUFS:
                return e.errno
            time.sleep(0.0005)
    return errno.ENOBUFS


# --- commands -----------------------------------------------------------

def cmd_list(args):
    for name, expect, _, what in build_cases():
        print("%-20s %-11s %s" % (name, expect, what))


def cmd_send(args):
    s = raw_socket(args.iface)
    for name, _, build, _ in select(build_cases(), args.names):
        frame = build(args.role)
        sent, err = 0, 0
        for _ in range(args.count):
            err = send_frame(s, frame)
            if err:
                break
            sent += 1
        if err:
            print("%s error %s" % (name, errno.errorcode.get(err, err)))
        else:
            print("%s sent %d len=%d" % (name, sent, len(frame)))
        # let each case leave before the next: counters stay attributable
        time.sleep(args.gap / 1000.0)


def parse_errors(cmd):
    import json
    import subprocess
    out = subprocess.run(cmd, check=True, capture_output=True).stdout
    return json.loads(out)["parse_errors"]


def cmd_verify(args):
    """Each case on its own: sent from both VMs, then the parse_errors
    delta must be exactly the expected reason, count_pri + count_sec."""
    import shlex
    cmd = shlex.split(args.stats_cmd)
    socks = [(raw_socket(args.iface, args.pri_ns), "primary",
              args.count_pri),
             (raw_socket(args.iface, args.sec_ns), "secondary",
              args.count_sec)]
    bad = 0
    for name, expect, build, _ in select(build_cases(), args.names):
        want = args.count_pri + args.count_sec
        before = parse_errors(cmd)
        for s, role, n in socks:
            frame = build(role)
            for _ in range(n):
                err = send_frame(s, frame)
                if err:
                    print("%s error %s" % (name, errno.errorcode.get(err)))
                    break
        deadline = time.monotonic() + 2
        while True:
            now = parse_errors(cmd)
            delta = {k: now[k] - before[k] for k in now if now[k] != before[k]}
            if sum(delta.values()) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        good = delta == {expect: want}
        bad += not good
        print("%s %s expect=%s:%d got=%s" % (
            name, "ok" if good else "BAD", expect, want,
            ",".join("%s:%d" % kv for kv in sorted(delta.items())) or "-"))
    return 1 if bad else 0


def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def signature(name, frame):
    """Bytes that tell the case's frames apart: its marker, or for a frame
    without payload its IP header (each such case sets a unique IPv4 id
    or IPv6 flow label); the daemon rewrites only L4 checksums."""
    if marker(name) in frame:
        return marker(name)
    if frame[12:14] == b"\x08\x00":
        return frame[14:34]
    return frame[14:54]


def cmd_count(args):
    vm = bytes.fromhex(VM_MAC.replace(":", ""))
    # the client's ICMP errors quote what it got: count the VMs' only
    frames = [fr for fr in pcap_frames(args.pcap) if fr[6:12] == vm]
    print("from_vm %d" % len(frames))
    for name, _, build, _ in select(build_cases(), args.names):
        sig = signature(name, build("primary"))
        hits = [fr for fr in frames if sig in fr]
        print("%s %d" % (name, len(hits)))
        if args.hex:
            for fr in hits:
                print("%s hex %s" % (name, fr.hex()))


def flood_frames(args):
    """Yields (frame bytes) for the flood; templates patched by offset."""
    size = max(args.size, 60)
    payload_len = size - 42
    mac = bytes.fromhex(CLIENT_MAC.replace(":", "")) + \
        bytes.fromhex(VM_MAC.replace(":", ""))
    src = socket.inet_aton(VM_IP4)
    dst = socket.inet_aton(CLIENT_IP4)
    proto = 6 if args.proto == "syn" else 17
    l4len = 20 if proto == 6 else 8
    tot = 20 + l4len + (0 if proto == 6 else payload_len)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, proto,
                      0, src, dst)
    csum = ip_csum(iph)
    iph = iph[:10] + struct.pack("!H", csum) + iph[12:]
    head = mac + b"\x08\x00" + iph
    for i in range(args.count):
        if args.same_port:
            sport, dport = args.same_port, args.dport
        else:
            j = args.first_port_index + i
            sport = args.first_port + j // args.ports_per_dst
            dport = args.dport + j % args.ports_per_dst
        if proto == 6:
            # SYN, data offset 5; checksum left 0: never delivered
            l4 = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 0x50, 0x02,
                             65535, 0, 0)
        else:
            body = struct.pack("!8sI", b"CRFLOOD:", i)
            body = body + b"\x00" * (payload_len - len(body))
            l4 = struct.pack("!HHHH", sport, dport, 8 + payload_len, 0) + body
        yield head + l4


def ip_csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def cmd_flood(args):
    if not args.same_port:
        flows = args.count + args.first_port_index
        if args.first_port + (flows - 1) // args.ports_per_dst > 65535 or \
                args.dport + args.ports_per_dst - 1 > 65535:
            sys.exit("craft_frames: port range overflows")
    s = raw_socket(args.iface)
    start = time.monotonic()
    sent = errs = 0
    gap = 1.0 / args.rate if args.rate else 0
    for fr in flood_frames(args):
        if send_frame(s, fr, tries=2000):
            errs += 1
        else:
            sent += 1
        if gap:
            due = start + sent * gap
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
    secs = time.monotonic() - start
    print("flood sent=%d errors=%d secs=%.2f pps=%.0f" %
          (sent, errs, secs, sent / secs if secs else 0))


def main():
    ap = argparse.ArgumentParser(
        description="hostile guest frames for colo-xdp tests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    p = sub.add_parser("send")
    p.add_argument("--iface", required=True)
    p.add_argument("--role", default="primary",
                   choices=("primary", "secondary"))
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--gap", type=int, default=2, help="ms between cases")
    p.add_argument("names", nargs="+")
    p = sub.add_parser("verify")
    p.add_argument("--iface", required=True)
    p.add_argument("--pri-ns", required=True)
    p.add_argument("--sec-ns", required=True)
    p.add_argument("--count-pri", type=int, default=1)
    p.add_argument("--count-sec", type=int, default=1)
    p.add_argument("--stats-cmd", required=True,
                   help="prints the daemon's stats --json")
    p.add_argument("names", nargs="+")
    p = sub.add_parser("count")
    p.add_argument("--hex", action="store_true",
                   help="also print each matching frame in hex")
    p.add_argument("pcap")
    p.add_argument("names", nargs="+")
    p = sub.add_parser("flood")
    p.add_argument("--iface", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--proto", default="udp", choices=("udp", "syn"))
    p.add_argument("--first-port", type=int, default=1024)
    p.add_argument("--first-port-index", type=int, default=0,
                   help="flow index to start at (disjoint floods)")
    p.add_argument("--ports-per-dst", type=int, default=1024)
    p.add_argument("--dport", type=int, default=20000)
    p.add_argument("--same-port", type=int, default=0)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--rate", type=float, default=0)
    args = ap.parse_args()
    return {"list": cmd_list, "send": cmd_send, "count": cmd_count,
            "verify": cmd_verify, "flood": cmd_flood}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
