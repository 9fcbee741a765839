#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# leakcheck.py - did every frame of the guests that reached the client come
# from the primary? Compares a capture at the client with what each guest
# sent, as QEMU's filter-dump recorded it on the guest's netdev (before
# XDP saw it, vnet header included).
#
#   leakcheck.py --vm-mac MAC CLIENT.pcap PRIMARY.pcap SECONDARY.pcap
#
# Twins send the same bytes, so a frame is told apart by what each guest
# draws at random: the IPv4 ID of TCP and ICMP (per socket, per boot), the
# IPv6 flow label (a hash with a per-boot seed) and the TCP sequence
# numbers (each guest picks its own ISN). Checksums, TTL and hop limit
# are left out of the key. A frame at the client whose key the primary
# sent is "from_primary"; one only the secondary sent is "secondary"; one
# neither sent is "unknown". "distinct" counts the client frames whose
# key the secondary did not send too, i.e. those the check could have
# caught if they had come from the secondary.
#
# Prints one line of key=value (also max_len_primary/secondary: the
# largest frame each guest handed QEMU, without vnet header) and exits 0.

import argparse
import struct
import sys


def records(path):
    """(frame bytes, original length) of each record of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            break  # a record still being written
        yield data[off + 16:off + 16 + incl], orig
        off += 16 + incl


def key(fr):
    """What tells a frame from its twin's, or None if not IP."""
    et = struct.unpack("!H", fr[12:14])[0]
    p = fr[14:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        tot, ipid = struct.unpack("!HH", p[2:6])
        proto = p[9]
        return ("4", ipid, proto, tot, p[12:20]) + l4key(proto, p[ihl:])
    if et == 0x86DD and len(p) >= 40:
        flow = struct.unpack("!I", p[0:4])[0] & 0xFFFFF
        plen = struct.unpack("!H", p[4:6])[0]
        return ("6", flow, p[6], plen, p[8:40]) + l4key(p[6], p[40:])
    return None


def l4key(proto, p):
    if proto == 6 and len(p) >= 14:
        # ports, seq, ack, flags; not the window (it moves with the
        # guest's buffers) nor the checksum.
        return (p[0:12], p[13])
    if proto == 17 and len(p) >= 8:
        return (p[0:6], bytes(p[8:40]))
    if proto in (1, 58) and len(p) >= 8:
        return (p[0:2], p[4:8])
    return (bytes(p[:16]),)


def guest_frames(path, mac):
    """Keys and largest length of the frames the guest sent (src = mac)."""
    keys, big = set(), 0
    for fr, orig in records(path):
        for vnet in (12, 10, 0):
            if fr[vnet + 6:vnet + 12] == mac:
                break
        else:
            continue
        fr = fr[vnet:]
        big = max(big, orig - vnet)
        k = key(fr)
        if k is not None:
            keys.add(k)
    return keys, big


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vm-mac", required=True)
    ap.add_argument("client")
    ap.add_argument("primary")
    ap.add_argument("secondary")
    a = ap.parse_args()
    mac = bytes(int(b, 16) for b in a.vm_mac.split(":"))

    pri, pri_big = guest_frames(a.primary, mac)
    sec, sec_big = guest_frames(a.secondary, mac)
    n = {"client_frames": 0, "from_primary": 0, "secondary": 0,
         "unknown": 0, "distinct": 0, "non_ip": 0}
    for fr, _ in records(a.client):
        if len(fr) < 14 or fr[6:12] != mac:
            continue
        n["client_frames"] += 1
        k = key(fr)
        if k is None:
            n["non_ip"] += 1
        elif k in pri:
            n["from_primary"] += 1
            if k not in sec:
                n["distinct"] += 1
        elif k in sec:
            n["secondary"] += 1
        else:
            n["unknown"] += 1
    n["primary_sent"] = len(pri)
    n["secondary_sent"] = len(sec)
    n["max_len_primary"] = pri_big
    n["max_len_secondary"] = sec_big
    print(" ".join("%s=%d" % kv for kv in n.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
