#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks tlspp-beast-https-client against two servers (CTest: example_beast_https_client).

    beast_https_client_test.py CLIENT HTTPS_SERVER OPENSSL PKI_DIR

- against tlspp-asio-https-server: the page arrives (status 200, the body
  naming the path and the SNI the client sent), and the client exits 0;
- against `openssl s_server -www`: the same, with a body that ends only
  with the server's close_notify (no Content-Length);
- a CA that did not sign the server's certificate fails the handshake with
  libtls's reason, and the client exits 1.
Exits 0 when all hold; otherwise prints what did not and exits 1.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_test_support import check, exit_status, run, s_server_www, tlspp_server  # noqa: E402

CLIENT, HTTPS_SERVER, OPENSSL, PKI = sys.argv[1:5]


def fetch(port, path, ca="ca-bundle.pem"):
    """Runs the client; returns (exit status, stdout, stderr)."""
    return run([CLIENT, "localhost", str(port), path, "--ca", os.path.join(PKI, ca)])


def against_tlspp_server():
    with tlspp_server(HTTPS_SERVER) as (_, _, port):
        status, out, err = fetch(port, "/beast")
        check(status == 0, f"the client exits 0 after a GET from the tlspp server ({err.strip()!r})")
        check(out.startswith("HTTP/1.1 200 OK\n"), f"the status line is printed: {out[:40]!r}")
        check("<li>path: /beast</li>" in out, "the body names the requested path")
        check("<li>SNI: localhost</li>" in out, "the server saw the client's SNI")

        status, out, err = fetch(port, "/", ca="untrusted-ca.crt")
        check(status == 1 and "TLS handshake with localhost failed" in err and "verif" in err,
              f"an untrusted server fails the handshake with the reason, exit 1 ({err.strip()!r})")


def against_s_server():
    with s_server_www(OPENSSL, PKI, "server-rsa", connections=1) as port:
        status, out, err = fetch(port, "/")
        check(status == 0, f"the client exits 0 after a GET from s_server -www ({err.strip()!r})")
        check(out.startswith("HTTP/1.0 200 ok\n"), f"the status line is printed: {out[:40]!r}")
        check("s_server" in out and "</HTML>" in out.upper(),
              "the whole s_server -www page arrived, up to its close_notify")


def main():
    against_tlspp_server()
    against_s_server()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
