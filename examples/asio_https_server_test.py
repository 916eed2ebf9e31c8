#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks tlspp-asio-https-server as a client sees it (CTest: example_asio_https_server).

    asio_https_server_test.py SERVER PKI_DIR

- --help prints the usage and exits 0;
- a GET whose head ends in a bare "\\n\\n" (RFC 9112, 2.2) is answered, as one
  ending in "\\r\\n\\r\\n" is, and each answer ends with close_notify;
- a client that completes its handshake and sends no request gets
  close_notify at the request timeout, not a dropped connection;
- a client that never starts its handshake gets a plain end of stream;
- --bind chooses the address, and the default is loopback.
Exits 0 when all hold; otherwise prints what did not and exits 1.
"""

import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_test_support import check, exit_status, run, tls_connect, tlspp_server  # noqa: E402

SERVER, PKI = sys.argv[1], sys.argv[2]
IO_LIMIT = 10.0  # seconds any one socket call may take before the check fails


def tls_client(port):
    # A transport that ends without close_notify must raise, not read as b"".
    return tls_connect(PKI, port, IO_LIMIT, suppress_ragged_eofs=False)


def read_to_close_notify(tls):
    """Everything until the server's close_notify; None if the stream ended without it."""
    data = b""
    try:
        while chunk := tls.recv(65536):
            data += chunk
    except (ssl.SSLEOFError, ConnectionError):
        return None
    return data


def get(port, request):
    with tls_client(port) as tls:
        tls.sendall(request)
        return read_to_close_notify(tls)


def main():
    status, out, _ = run([SERVER, "--help"], limit=IO_LIMIT)
    check(status == 0 and out.startswith("Usage:") and "--bind" in out,
          "--help prints the usage and exits 0")

    with tlspp_server(SERVER, "--timeout", "1") as (_, host, port):
        check(host == "127.0.0.1", f"the default bind address is loopback (it said {host})")
        for name, request in (("CRLF", b"GET /crlf HTTP/1.1\r\nHost: localhost\r\n\r\n"),
                              ("bare LF", b"GET /lf HTTP/1.1\nHost: localhost\n\n")):
            reply = get(port, request)
            check(reply is not None and reply.startswith(b"HTTP/1.1 200 OK\r\n"),
                  f"a request ending in {name} is answered, then close_notify: {reply!r:.60}")

        with tls_client(port) as idle:
            began = time.monotonic()
            reply = read_to_close_notify(idle)
            check(reply == b"", "a client that sends no request gets close_notify at the timeout"
                  f" (after {time.monotonic() - began:.1f} s: {reply!r})")

        with socket.create_connection(("127.0.0.1", port), timeout=IO_LIMIT) as silent:
            try:
                reply = silent.recv(65536)
            except ConnectionError as e:
                reply = repr(e)
            check(reply == b"", f"a client that never starts a handshake gets the end of the stream ({reply!r})")

    with tlspp_server(SERVER, "--bind", "0.0.0.0") as (_, host, _):
        pass
    check(host == "0.0.0.0", f"--bind 0.0.0.0 listens on every interface (it said {host})")

    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
