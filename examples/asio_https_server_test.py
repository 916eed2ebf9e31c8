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
import re
import socket
import ssl
import subprocess
import sys
import time

SERVER, PKI = sys.argv[1], sys.argv[2]
IO_LIMIT = 10.0  # seconds any one socket call may take before the check fails
failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what, flush=True)
    if not condition:
        failures.append(what)


def start(*args):
    """Starts the server on a free port; returns (process, host, port)."""
    proc = subprocess.Popen([SERVER, "--port", "0", *args], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    match = re.search(r"listening on (\S+):(\d+)$", line.strip())
    if not match:
        proc.kill()
        sys.exit(f"the server did not say where it listens: {line!r}")
    return proc, match.group(1), int(match.group(2))


def stop(proc):
    proc.terminate()
    proc.wait(timeout=IO_LIMIT)


def tls_client(port):
    context = ssl.create_default_context(cafile=os.path.join(PKI, "ca-bundle.pem"))
    raw = socket.create_connection(("127.0.0.1", port), timeout=IO_LIMIT)
    # A transport that ends without close_notify must raise, not read as b"".
    return context.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)


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
    usage = subprocess.run([SERVER, "--help"], capture_output=True, text=True, timeout=IO_LIMIT)
    check(usage.returncode == 0 and usage.stdout.startswith("Usage:") and "--bind" in usage.stdout,
          "--help prints the usage and exits 0")

    proc, host, port = start("--timeout", "1")
    try:
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
    finally:
        stop(proc)

    proc, host, port = start("--bind", "0.0.0.0")
    stop(proc)
    check(host == "0.0.0.0", f"--bind 0.0.0.0 listens on every interface (it said {host})")

    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
