#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# http_server.py - a small static HTTP server for the "VMs" of the
# end-to-end tests: serves one directory over HTTP/1.0 on one port, IPv4
# and IPv6 at once (one dual-stack socket), a thread per connection.
#
#   /usr/bin/python3 tools/http_server.py --dir DIR --port PORT [--addr ::]
#
# colo-xdp compares the primary's and the secondary's output byte by byte,
# so two instances serving the same files must answer with the same bytes.
# The only header that would differ is Date: it is the time of the answer,
# and the two "VMs" (network namespaces on one clock) answer a few
# microseconds apart, which now and then straddles a second boundary. A
# real COLO pair has its clocks made equal at each checkpoint but can still
# tick apart in between; a test must not fail on such an accident, so Date
# is a constant here. Last-Modified comes from the file's mtime: the tests
# give both copies the same one.
#
# HTTP/1.0 (the http.server default), one request per connection: the
# server closes after the answer, so both guests send their FIN at the same
# point of the stream.

import argparse
import http.server
import os
import socket
import sys

FIXED_DATE = "Thu, 01 Jan 2015 00:00:00 GMT"


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def date_time_string(self, timestamp=None):
        # Date (no timestamp) is fixed; Last-Modified keeps the mtime.
        if timestamp is None:
            return FIXED_DATE
        return super().date_time_string(timestamp)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class DualStackServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        # IPv4 clients arrive as ::ffff:a.b.c.d on the same socket.
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", required=True, help="directory to serve")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--addr", default="::", help="IPv6 address to bind")
    a = ap.parse_args()

    os.chdir(a.dir)
    srv = DualStackServer((a.addr, a.port), Handler)
    print("listening on [%s]:%d, serving %s" % (a.addr, a.port, a.dir),
          flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
