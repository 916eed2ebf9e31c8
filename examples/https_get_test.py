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
import re
import socket
import subprocess
import sys
import tempfile

CLIENT, OPENSSL, PKI = sys.argv[1:4]
HTTPS_SERVER = sys.argv[4] if len(sys.argv) > 4 else None
LIMIT = 30  # seconds any one program may take before the check fails
failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what, flush=True)
    if not condition:
        failures.append(what)


def get(port, path="/", ca="ca-bundle.pem", *extra):
    """Runs the client; returns (exit status, stdout, stderr)."""
    run = subprocess.run([CLIENT, "localhost", str(port), path, "--ca", os.path.join(PKI, ca),
                          *extra], capture_output=True, text=True, timeout=LIMIT)
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


def against_s_server():
    # s_server's -cert_chain wants the intermediates without the leaf.
    with open(os.path.join(PKI, "server-ecdsa-chain.pem")) as f:
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", f.read(),
                            re.S)
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as chain:
        chain.write("".join(blocks[1:]))
    try:
        proc, port = start([OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-naccept", "2",
                            "-www", "-cert", os.path.join(PKI, "server-ecdsa.crt"),
                            "-cert_chain", chain.name, "-key", os.path.join(PKI, "server-ecdsa.key")],
                           "stdout", r"^ACCEPT.*:(\d+)$")
        try:
            status, out, err = get(port)
            check(status == 0, f"exit 0 after a GET from s_server -www ({err.strip()!r})")
            check(out.startswith("HTTP/1.0 200 ok\n"), f"the status line is printed: {out[:40]!r}")
            check("s_server" in out and "</HTML>" in out.upper(),
                  "the whole page arrived, up to the server's close_notify")
            status, out, err = get(port, "/", "untrusted-ca.crt")
            check(status == 1 and err.count("\n") == 1 and "handshake" in err and "verif" in err,
                  f"an untrusted certificate fails the handshake, one line, exit 1 ({err.strip()!r})")
        finally:
            stop(proc)
    finally:
        os.unlink(chain.name)


def against_tlspp_server():
    proc, port = start([HTTPS_SERVER, "--port", "0"], "stderr", r"listening on \S+:(\d+)$")
    try:
        status, out, err = get(port, "/get")
        check(status == 0, f"exit 0 after a GET from tlspp-asio-https-server ({err.strip()!r})")
        check(out.startswith("HTTP/1.1 200 OK\n"), f"the status line is printed: {out[:40]!r}")
        check("<li>path: /get</li>" in out, "the body names the requested path")
    finally:
        stop(proc)


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

    run = subprocess.run([CLIENT, "localhost"], capture_output=True, text=True, timeout=LIMIT)
    check(run.returncode == 2 and "Usage:" in run.stderr, "missing arguments: the usage, exit 2")


def main():
    against_s_server()
    if HTTPS_SERVER:
        against_tlspp_server()
    against_silent_and_absent_servers()
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
