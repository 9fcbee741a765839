#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tcp_bulk.py - one bulk TCP transfer, client to server, for the tests.

  tcp_bulk.py serve --port P [--rate BYTES_PER_S] [--rcvbuf BYTES]
  tcp_bulk.py send --host H --port P --bytes N

serve takes one connection, reads until the client shuts its side down,
no faster than --rate (0: as fast as it can; a small --rcvbuf makes a slow
reader's window close soon), answers "done N" and exits. Run in both VMs
with different rates, it is a secondary slower than its primary, with the
same answer.

send connects, writes N bytes, shuts down its side, waits for the answer
and prints one JSON line: bytes, seconds, the answer.
"""
import argparse
import json
import socket
import sys
import time


def serve(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        # Before listen(): an accepted socket inherits it, and the window
        # scale is chosen from it in the handshake.
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    got, t0 = 0, time.monotonic()
    while True:
        b = c.recv(16384)
        if not b:
            break
        got += len(b)
        if a.rate > 0:
            late = t0 + got / a.rate - time.monotonic()
            if late > 0:
                time.sleep(late)
    c.sendall(b"done %d\n" % got)
    c.close()
    return 0


def send(a):
    c = socket.create_connection((a.host, a.port), timeout=a.timeout)
    chunk = b"colo-xdp " * 7282  # 65538 bytes
    t0, sent = time.monotonic(), 0
    while sent < a.bytes:
        sent += c.send(chunk[:min(len(chunk), a.bytes - sent)])
    c.shutdown(socket.SHUT_WR)
    answer = c.recv(100).decode(errors="replace").strip()
    secs = time.monotonic() - t0
    print(json.dumps({"bytes": sent, "seconds": round(secs, 3),
                      "answer": answer}))
    return 0 if answer == "done %d" % sent else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--rate", type=float, default=0)
    s.add_argument("--rcvbuf", type=int, default=0)
    c = sub.add_parser("send")
    c.add_argument("--host", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--bytes", type=int, required=True)
    c.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    return serve(a) if a.cmd == "serve" else send(a)


if __name__ == "__main__":
    sys.exit(main())
