#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks tlspp-reloading-server's reload (CTest: example_reloading_server).

    reloading_server_test.py SERVER PKI_DIR

The server starts on copies of server-ecdsa's chain and key. Then:
- a first client connects, stays connected, and its lines are echoed;
- the files are replaced by server-rsa's and the server gets SIGHUP: it says
  it reloaded, a new client sees the RSA certificate (by its SHA-256), and
  the first client still sees the ECDSA one and is still echoed;
- a broken certificate file and another SIGHUP: the server says the reload
  failed and new clients still get the RSA certificate;
- SIGTERM stops it, with a client still connected, exit 0.
Exits 0 when all hold; otherwise prints what did not and exits 1.
"""

import hashlib
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_test_support import check, exit_status, tls_connect, tlspp_server  # noqa: E402

SERVER, PKI = sys.argv[1:3]
LIMIT = 10.0  # seconds any one step may take before the check fails


def expected_hash(leaf):
    with open(os.path.join(PKI, leaf + ".sha256")) as f:
        return f.read().strip()


class ServerLog:
    """A server's stderr, read line by line on a thread."""

    def __init__(self, proc):
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(proc.stderr,), daemon=True).start()

    def _read(self, stderr):
        for line in stderr:
            self.lines.put(line.strip())

    def next_line(self, starting="", skipped=20):
        """The next line that starts with `starting`, skipping a few others."""
        for _ in range(skipped + 1):
            try:
                line = self.lines.get(timeout=LIMIT)
            except queue.Empty:
                return "(nothing within the limit)"
            if line.startswith(starting):
                return line
        return "(not found)"


def connect(port):
    return tls_connect(PKI, port, LIMIT)


def cert_hash(tls):
    return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def goodbye(tls):
    """close_notify both ways, then close."""
    tls.unwrap()
    tls.close()


def echoed(tls, line):
    tls.sendall(line)
    got = b""
    while len(got) < len(line):
        chunk = tls.recv(4096)
        if not chunk:
            break
        got += chunk
    return got == line


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")

        def install(leaf):
            # Write aside, then rename over: a reload never reads half a file.
            for source, target in ((leaf + "-chain.pem", cert), (leaf + ".key", key)):
                shutil.copyfile(os.path.join(PKI, source), target + ".new")
                os.replace(target + ".new", target)

        install("server-ecdsa")
        with tlspp_server(SERVER, "--cert", cert, "--key", key) as (proc, _, port):
            log = ServerLog(proc)
            old = connect(port)
            check(cert_hash(old) == expected_hash("server-ecdsa"), "the first client sees the ECDSA certificate")
            check(echoed(old, b"one\n"), "the first client is echoed")

            install("server-rsa")
            proc.send_signal(signal.SIGHUP)
            line = log.next_line("reload")
            check(line.startswith("reloaded"), f"SIGHUP reloads ({line!r})")
            new = connect(port)
            check(cert_hash(new) == expected_hash("server-rsa"),
                  "a client connecting after the reload sees the RSA certificate")
            check(echoed(new, b"new\n"), "the new client is echoed")
            goodbye(new)
            check(echoed(old, b"two\n"), "the first client, connected before the reload, is still echoed")
            check(cert_hash(old) == expected_hash("server-ecdsa"), "the first client's certificate is unchanged")

            with open(cert, "w") as f:
                f.write("not a certificate\n")
            proc.send_signal(signal.SIGHUP)
            line = log.next_line("reload")
            check(line.startswith("reload failed, keeping the previous certificate"),
                  f"a broken file: the reload fails and says so ({line!r})")
            after = connect(port)
            check(cert_hash(after) == expected_hash("server-rsa"),
                  "after a failed reload new clients still get the RSA certificate")
            goodbye(after)
            check(echoed(old, b"three\n"), "the first client is still echoed")
            goodbye(old)
            lingering = connect(port)  # still connected when the server stops
            check(echoed(lingering, b"four\n"), "a last client is echoed")
        check(proc.returncode == 0, f"SIGTERM stops the server, exit 0 ({proc.returncode})")

    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
