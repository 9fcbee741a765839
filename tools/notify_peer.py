#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# notify_peer.py - the hypervisor's end of colo-compare's notify_dev
# protocol, for tests: listens on TCP or a Unix socket, logs every message
# it receives with a timestamp, and answers each DO_CHECKPOINT with
# COLO_CHECKPOINT after a delay, as a hypervisor would once its checkpoint
# is done. It answers COLO_COMPARE_GET_XEN_INIT nothing (that is the reply
# to our own init) and can send COLO_USERSPACE_PROXY_INIT on connect.
#
# Framing: a 4-byte big-endian length, then that many bytes, no NUL.
#
#   notify_peer.py --listen tcp:127.0.0.1:9000 [--log FILE] [--init]
#                  [--delay MS] [--no-reply]
#
# Log lines: "<unix time, ms> <event> [detail]", events: listening,
# connected, disconnected, recv <message>, sent <message>, bad-length <n>.

import argparse
import os
import selectors
import socket
import struct
import sys
import time

MSG_MAX = 65536


class Peer:
    def __init__(self, args):
        self.args = args
        self.log_f = open(args.log, "a", buffering=1) if args.log else sys.stdout
        self.sel = selectors.DefaultSelector()
        self.conns = {}   # socket -> receive buffer
        self.replies = []  # (due, socket)
        self.lsock = self.listen(args.listen)
        self.sel.register(self.lsock, selectors.EVENT_READ)
        self.log("listening", args.listen)

    def log(self, event, detail=""):
        self.log_f.write("%.3f %s%s\n" % (time.time(), event,
                                          " " + detail if detail else ""))
        self.log_f.flush()

    def listen(self, spec):
        if spec.startswith("unix:"):
            path = spec[5:]
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
        elif spec.startswith("tcp:"):
            host, _, port = spec[4:].rpartition(":")
            host = host.strip("[]")
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, int(port)))
        else:
            sys.exit("notify_peer: --listen tcp:HOST:PORT or unix:PATH")
        s.listen(4)
        s.setblocking(False)
        return s

    def send(self, conn, text):
        data = text.encode()
        try:
            conn.sendall(struct.pack("!I", len(data)) + data)
            self.log("sent", text)
        except OSError as e:
            self.log("send-failed", "%s: %s" % (text, e))

    def accept(self):
        conn, _ = self.lsock.accept()
        conn.setblocking(True)  # our writes are tiny
        self.conns[conn] = b""
        self.sel.register(conn, selectors.EVENT_READ)
        self.log("connected")
        if self.args.init:
            self.send(conn, "COLO_USERSPACE_PROXY_INIT")

    def drop(self, conn):
        self.sel.unregister(conn)
        del self.conns[conn]
        self.replies = [r for r in self.replies if r[1] is not conn]
        conn.close()
        self.log("disconnected")

    def message(self, conn, data):
        text = "".join(chr(b) if 32 < b < 127 else "\\x%02x" % b
                       for b in data)
        self.log("recv", text if text else "(empty)")
        if data == b"DO_CHECKPOINT" and not self.args.no_reply:
            self.replies.append((time.monotonic() + self.args.delay / 1000.0,
                                 conn))

    def read(self, conn):
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.drop(conn)
            return
        buf = self.conns[conn] + data
        while len(buf) >= 4:
            (n,) = struct.unpack("!I", buf[:4])
            if n > MSG_MAX:
                self.log("bad-length", str(n))
                self.drop(conn)
                return
            if len(buf) < 4 + n:
                break
            self.message(conn, buf[4:4 + n])
            buf = buf[4 + n:]
        self.conns[conn] = buf

    def run(self):
        while True:
            timeout = None
            if self.replies:
                timeout = max(0.0, min(r[0] for r in self.replies) -
                              time.monotonic())
            for key, _ in self.sel.select(timeout):
                if key.fileobj is self.lsock:
                    self.accept()
                elif key.fileobj in self.conns:
                    self.read(key.fileobj)
            now = time.monotonic()
            due = [r for r in self.replies if r[0] <= now]
            self.replies = [r for r in self.replies if r[0] > now]
            for _, conn in due:
                if conn in self.conns:
                    self.send(conn, "COLO_CHECKPOINT")


def main():
    ap = argparse.ArgumentParser(
        description="The hypervisor end of the notify_dev protocol, for tests.")
    ap.add_argument("--listen", required=True,
                    help="tcp:HOST:PORT or unix:PATH")
    ap.add_argument("--log", help="append the log here (default stdout)")
    ap.add_argument("--init", action="store_true",
                    help="send COLO_USERSPACE_PROXY_INIT on connect")
    ap.add_argument("--delay", type=int, default=100,
                    help="ms from DO_CHECKPOINT to COLO_CHECKPOINT")
    ap.add_argument("--no-reply", action="store_true",
                    help="never answer DO_CHECKPOINT")
    peer = Peer(ap.parse_args())
    try:
        peer.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
