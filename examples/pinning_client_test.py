#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks tlspp-pinning-client (CTest: example_pinning_client).

    pinning_client_test.py CLIENT SERVER PKI_DIR

SERVER is tlspp-reloading-server, an echo server on a chosen certificate.
- pin and CA verification: the right pin passes, exit 0 (in capitals too);
  a wrong pin fails with a one-line "certificate pin mismatch", exit 1, and
  the client ends with close_notify (the server never reports a cut);
- a self-signed server certificate: with CA verification it fails even with
  its pin; with --pin-only its pin passes and any other pin fails;
- a malformed pin: exit 2.
Exits 0 when all hold; otherwise prints what did not and exits 1.
"""

import hashlib
import os
import re
import signal
import ssl
import subprocess
import sys

CLIENT, SERVER, PKI = sys.argv[1:4]
LIMIT = 30  # seconds any one program may take before the check fails
failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what, flush=True)
    if not condition:
        failures.append(what)


def pin_of(leaf):
    """SHA256:<hex> of the leaf's DER certificate, as libtls spells a hash."""
    with open(os.path.join(PKI, leaf + ".crt")) as f:
        return "SHA256:" + hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def start(leaf):
    """The echo server on `leaf`'s certificate; returns (process, port)."""
    cert = os.path.join(PKI, leaf + ("-chain.pem" if leaf != "selfsigned" else ".crt"))
    proc = subprocess.Popen([SERVER, "--port", "0", "--cert", cert,
                             "--key", os.path.join(PKI, leaf + ".key")],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    match = re.search(r"listening on \S+:(\d+)$", line.strip())
    if not match:
        proc.kill()
        sys.exit(f"the server did not say where it listens: {line!r}")
    return proc, int(match.group(1))


def stop(proc):
    """Stops the server; returns what it printed about its connections."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "(hung)"
    return err


def pinning(port, pin, *extra):
    run = subprocess.run([CLIENT, "localhost", str(port), "--pin", pin,
                          "--ca", os.path.join(PKI, "ca-bundle.pem"), *extra],
                         capture_output=True, text=True, timeout=LIMIT)
    return run.returncode, run.stdout, run.stderr


def main():
    right, wrong = pin_of("server-ecdsa"), pin_of("server-rsa")
    proc, port = start("server-ecdsa")
    try:
        status, out, err = pinning(port, right)
        check(status == 0 and out.startswith("pin ok: " + right),
              f"the right pin passes, exit 0 ({out.strip()!r} {err.strip()!r})")
        status, out, err = pinning(port, "SHA256:" + right[len("SHA256:"):].upper())
        check(status == 0, f"a pin in capitals is the same pin ({err.strip()!r})")
        status, out, err = pinning(port, wrong)
        check(status == 1 and err.count("\n") == 1 and "certificate pin mismatch" in err
              and right in err and out == "",
              f"a wrong pin fails with one line naming both hashes, exit 1 ({err.strip()!r})")
    finally:
        server_log = stop(proc)
    check("without close_notify" not in server_log,
          f"every client, the failing one too, ended with close_notify ({server_log.strip()!r})")

    self_signed = pin_of("selfsigned")
    proc, port = start("selfsigned")
    try:
        status, out, err = pinning(port, self_signed)
        check(status == 1 and "verif" in err,
              f"with CA verification a self-signed certificate fails, pin or not ({err.strip()!r})")
        status, out, err = pinning(port, self_signed, "--pin-only")
        check(status == 0 and out.startswith("pin ok: " + self_signed),
              f"--pin-only: the self-signed certificate's pin passes ({err.strip()!r})")
        status, out, err = pinning(port, right, "--pin-only")
        check(status == 1 and "certificate pin mismatch" in err,
              f"--pin-only: any other pin fails ({err.strip()!r})")
    finally:
        stop(proc)

    status, out, err = pinning(1, "SHA256:1234")
    check(status == 2 and "--pin wants" in err, f"a malformed pin: exit 2 ({err.strip()!r})")

    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
