#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks tlspp-https-get against local servers (CTest: example_https_get).

    https_get_test.py CLIENT OPENSSL PKI_DIR [HTTPS_SERVER]

- against `openssl s_server -www`: the status line and the whole page (which
  ends with the server's close_notify) are printed, exit 0;
- against tlspp-asio-https-server, when given: the same, with its page;
- a CA that did not sign the server's certificate: exit 1, one line saying
  the handshake failed verification;
- a server that accepts the connection and never answers: with --timeout 1
  the client gives up and says the handshake timed out after 1 s, exit 1;
- a port nobody listens on: exit 1, connection refused;
- bad arguments: exit 2 with the usage.
Exits 0 when all hold; otherwise prints what did not and exits 1.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_test_support import check, exit_status, run, s_server_www, tlspp_server  # noqa: E402

CLIENT, OPENSSL, PKI = sys.argv[1:4]
HTTPS_SERVER = sys.argv[4] if len(sys.argv) > 4 else None


def get(port, path="/", ca="ca-bundle.pem", *extra):
    """Runs the client; returns (exit status, stdout, stderr)."""
    return run([CLIENT, "localhost", str(port), path, "--ca", os.path.join(PKI, ca), *extra])


def against_s_server():
    with s_server_www(OPENSSL, PKI, "server-ecdsa", connections=2) as port:
        status, out, err = get(port)
        check(status == 0, f"exit 0 after a GET from s_server -www ({err.strip()!r})")
        check(out.startswith("HTTP/1.0 200 ok\n"), f"the status line is printed: {out[:40]!r}")
        check("s_server" in out and "</HTML>" in out.upper(),
              "the whole page arrived, up to the server's close_notify")
        status, out, err = get(port, "/", "untrusted-ca.crt")
        check(status == 1 and err.count("\n") == 1 and "handshake" in err and "verif" in err,
              f"an untrusted certificate fails the handshake, one line, exit 1 ({err.strip()!r})")


def against_tlspp_server():
    with tlspp_server(HTTPS_SERVER) as (_, _, port):
        status, out, err = get(port, "/get")
        check(status == 0, f"exit 0 after a GET from tlspp-asio-https-server ({err.strip()!r})")
        check(out.startswith("HTTP/1.1 200 OK\n"), f"the status line is printed: {out[:40]!r}")
        check("<li>path: /get</li>" in out, "the body names the requested path")


def against_silent_and_absent_servers():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel accepts the TCP connection; nobody ever answers
        status, out, err = get(silent.getsockname()[1], "/", "ca-bundle.pem", "--timeout", "1")
        check(status == 1 and "handshake: timed out after 1 s" in err,
              f"a server that never answers: the handshake times out, exit 1 ({err.strip()!r})")

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: a SYN gets a reset
        status, out, err = get(closed.getsockname()[1])
        check(status == 1 and "refused" in err and err.count("\n") == 1,
              f"a closed port: connection refused, one line, exit 1 ({err.strip()!r})")

    status, out, err = run([CLIENT, "localhost"])
    check(status == 2 and "Usage:" in err, "missing arguments: the usage, exit 2")


def main():
    against_s_server()
    if HTTPS_SERVER:
        against_tlspp_server()
    against_silent_and_absent_servers()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
