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
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_test_support import check, exit_status, run, tlspp_server  # noqa: E402

CLIENT, SERVER, PKI = sys.argv[1:4]


def pin_of(leaf):
    """SHA256:<hex> of the leaf's DER certificate, as libtls spells a hash."""
    with open(os.path.join(PKI, leaf + ".crt")) as f:
        return "SHA256:" + hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def echo_server(leaf):
    """The echo server on `leaf`'s certificate: a `with` block's (process, host, port)."""
    cert = os.path.join(PKI, leaf + ("-chain.pem" if leaf != "selfsigned" else ".crt"))
    return tlspp_server(SERVER, "--cert", cert, "--key", os.path.join(PKI, leaf + ".key"))


def pinning(port, pin, *extra):
    """Runs the client with `pin`; returns (exit status, stdout, stderr)."""
    return run([CLIENT, "localhost", str(port), "--pin", pin,
                "--ca", os.path.join(PKI, "ca-bundle.pem"), *extra])


def main():
    right, wrong = pin_of("server-ecdsa"), pin_of("server-rsa")
    with echo_server("server-ecdsa") as (proc, _, port):
        status, out, err = pinning(port, right)
        check(status == 0 and out.startswith("pin ok: " + right),
              f"the right pin passes, exit 0 ({out.strip()!r} {err.strip()!r})")
        status, out, err = pinning(port, "SHA256:" + right[len("SHA256:"):].upper())
        check(status == 0, f"a pin in capitals is the same pin ({err.strip()!r})")
        status, out, err = pinning(port, wrong)
        check(status == 1 and err.count("\n") == 1 and "certificate pin mismatch" in err
              and right in err and out == "",
              f"a wrong pin fails with one line naming both hashes, exit 1 ({err.strip()!r})")
    server_log = proc.stderr.read()  # what it said about its connections, after "listening on"
    check("without close_notify" not in server_log,
          f"every client, the failing one too, ended with close_notify ({server_log.strip()!r})")

    self_signed = pin_of("selfsigned")
    with echo_server("selfsigned") as (_, _, port):
        status, out, err = pinning(port, self_signed)
        check(status == 1 and "verif" in err,
              f"with CA verification a self-signed certificate fails, pin or not ({err.strip()!r})")
        status, out, err = pinning(port, self_signed, "--pin-only")
        check(status == 0 and out.startswith("pin ok: " + self_signed),
              f"--pin-only: the self-signed certificate's pin passes ({err.strip()!r})")
        status, out, err = pinning(port, right, "--pin-only")
        check(status == 1 and "certificate pin mismatch" in err,
              f"--pin-only: any other pin fails ({err.strip()!r})")

    status, out, err = pinning(1, "SHA256:1234")
    check(status == 2 and "--pin wants" in err, f"a malformed pin: exit 2 ({err.strip()!r})")

    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
