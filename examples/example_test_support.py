# SPDX-License-Identifier: ISC
"""What the example tests (examples/*_test.py) share.

Each script checks one example program as its user sees it: it starts the
servers it needs, runs the program, reports each check as it goes with
check(), and ends with sys.exit(exit_status()). A script imports this module
from its own directory:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from example_test_support import check, exit_status, run, tlspp_server
"""

import contextlib
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile

LIMIT = 30  # seconds any one program may take before the check fails

_failures = []


def check(condition, what):
    """Prints `what` after "ok: " or "FAILED: "; exit_status() counts the failures."""
    print(("ok: " if condition else "FAILED: ") + what, flush=True)
    if not condition:
        _failures.append(what)


def exit_status():
    """The script's exit status: 0 when every check held, else 1 after saying how many failed."""
    if _failures:
        print(f"{len(_failures)} check(s) failed", flush=True)
        return 1
    return 0


def run(args, limit=LIMIT):
    """Runs a program to its end; returns (exit status, stdout, stderr) as text.

    A program still running after `limit` seconds raises subprocess.TimeoutExpired.
    """
    done = subprocess.run(args, capture_output=True, text=True, timeout=limit)
    return done.returncode, done.stdout, done.stderr


def _start(args, stream, pattern, first_line_only, **popen):
    """Starts a program with `stream` ("stdout" or "stderr") piped, and reads
    it up to the line that matches `pattern` (its first line, when
    `first_line_only`); returns (process, match). The rest of the stream
    stays unread in the process's pipe. Exits the script when no line matches.
    """
    proc = subprocess.Popen(args, text=True, **{stream: subprocess.PIPE}, **popen)
    seen = []
    for line in iter(getattr(proc, stream).readline, ""):
        seen.append(line)
        match = re.search(pattern, line.strip())
        if match:
            return proc, match
        if first_line_only:
            break
    proc.kill()
    proc.wait()
    sys.exit(f"{args[0]} did not say where it listens: {seen!r}")


@contextlib.contextmanager
def tlspp_server(program, *args):
    """Runs a tlspp example server (tlspp-asio-https-server,
    tlspp-reloading-server) with `args` on a port the kernel chooses
    (--port 0) for the length of a `with` block; yields (process, host,
    port) once its first line on stderr has said "listening on HOST:PORT".
    The rest of its stderr is left in process.stderr. When the block ends the
    server is stopped with SIGTERM, and process.returncode is its exit status.
    """
    proc, match = _start([program, "--port", "0", *args], "stderr",
                         r"listening on (\S+):(\d+)$", first_line_only=True)
    try:
        yield proc, match.group(1), int(match.group(2))
    finally:
        _stop(proc)


def _stop(proc, limit=LIMIT):
    """Stops a server with SIGTERM and waits for it to end.

    One still running after `limit` seconds is killed, and the script exits
    saying so: a server that ignores SIGTERM is a failure whatever the checks said.
    """
    proc.terminate()
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        sys.exit(f"{proc.args[0]} was still running {limit} s after SIGTERM")


@contextlib.contextmanager
def s_server_www(openssl, pki, leaf, connections):
    """`openssl s_server -www` on 127.0.0.1, presenting the test PKI's `leaf`
    certificate (leaf.crt, leaf.key, and the intermediates of
    leaf-chain.pem) and answering `connections` connections; yields its
    port. Stops it and removes its chain file when the block ends.
    """
    # s_server's -cert_chain wants the intermediates without the leaf.
    with open(os.path.join(pki, leaf + "-chain.pem")) as f:
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", f.read(),
                            re.S)
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as chain:
        chain.write("".join(blocks[1:]))
    try:
        proc, match = _start([openssl, "s_server", "-accept", "127.0.0.1:0", "-naccept",
                              str(connections), "-www", "-cert", os.path.join(pki, leaf + ".crt"),
                              "-cert_chain", chain.name, "-key", os.path.join(pki, leaf + ".key")],
                             "stdout", r"^ACCEPT.*:(\d+)$", first_line_only=False,
                             stderr=subprocess.DEVNULL)
        try:
            yield int(match.group(1))
        finally:
            _stop(proc)
    finally:
        os.unlink(chain.name)


def tls_connect(pki, port, timeout, suppress_ragged_eofs=True):
    """A TLS connection to 127.0.0.1:`port` that verifies the server as
    "localhost" against the test PKI's ca-bundle.pem; every socket call on
    it fails after `timeout` seconds. With suppress_ragged_eofs=False a
    transport that ends without close_notify raises instead of reading as b"".
    """
    context = ssl.create_default_context(cafile=os.path.join(pki, "ca-bundle.pem"))
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname="localhost",
                               suppress_ragged_eofs=suppress_ragged_eofs)
