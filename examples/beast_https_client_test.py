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
import re
import subprocess
import sys
import tempfile

CLIENT, HTTPS_SERVER, OPENSSL, PKI = sys.argv[1:5]
LIMIT = 30  # seconds any one program may take before the check fails
failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what, flush=True)
    if not condition:
        failures.append(what)


def fetch(port, path, ca="ca-bundle.pem"):
    """Runs the client; returns (exit status, stdout, stderr)."""
    run = subprocess.run([CLIENT, "localhost", str(port), path, "--ca", os.path.join(PKI, ca)],
                         capture_output=True, text=True, timeout=LIMIT)
    return run.returncode, run.stdout, run.stderr


def start(args, stream, pattern):
    """Starts a server; returns (process, port) once it says where it listens."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = proc.stdout if stream == "stdout" else proc.stderr
    seen = []
    for line in out:
        seen.append(line)
        match = re.search(pattern, line.strip())
        if match:
            return proc, int(match.group(1))
    proc.kill()
    sys.exit(f"{args[0]} did not say where it listens: {seen!r}")


def stop(proc):
    proc.kill()
    proc.wait(timeout=LIMIT)


def against_tlspp_server():
    proc, port = start([HTTPS_SERVER, "--port", "0"], "stderr", r"listening on \S+:(\d+)$")
    try:
        status, out, err = fetch(port, "/beast")
        check(status == 0, f"the client exits 0 after a GET from the tlspp server ({err.strip()!r})")
        check(out.startswith("HTTP/1.1 200 OK\n"), f"the status line is printed: {out[:40]!r}")
        check("<li>path: /beast</li>" in out, "the body names the requested path")
        check("<li>SNI: localhost</li>" in out, "the server saw the client's SNI")

        status, out, err = fetch(port, "/", ca="untrusted-ca.crt")
        check(status == 1 and "TLS handshake with localhost failed" in err and "verif" in err,
              f"an untrusted server fails the handshake with the reason, exit 1 ({err.strip()!r})")
    finally:
        stop(proc)


def against_s_server():
    # s_server's -cert_chain wants the intermediates without the leaf.
    with open(os.path.join(PKI, "server-rsa-chain.pem")) as f:
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", f.read(),
                            re.S)
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as chain:
        chain.write("".join(blocks[1:]))
    try:
        proc, port = start([OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                            "-www", "-cert", os.path.join(PKI, "server-rsa.crt"),
                            "-cert_chain", chain.name, "-key", os.path.join(PKI, "server-rsa.key")],
                           "stdout", r"^ACCEPT.*:(\d+)$")
        try:
            status, out, err = fetch(port, "/")
            check(status == 0, f"the client exits 0 after a GET from s_server -www ({err.strip()!r})")
            check(out.startswith("HTTP/1.0 200 ok\n"), f"the status line is printed: {out[:40]!r}")
            check("s_server" in out and "</HTML>" in out.upper(),
                  "the whole s_server -www page arrived, up to its close_notify")
        finally:
            stop(proc)
    finally:
        os.unlink(chain.name)


def main():
    against_tlspp_server()
    against_s_server()
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
