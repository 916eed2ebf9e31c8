#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A TLS peer that misbehaves on purpose, for tlscat's hostile-input cases.

    hostile_peer.py MODE --pki DIR --listen          server role: tlscat connects
    hostile_peer.py MODE --pki DIR --connect PORT    client role: tlscat -l accepts

With --listen it binds 127.0.0.1 on a free port and prints
"listening on 127.0.0.1:PORT". After misbehaving it waits (at most
--linger seconds) for tlscat to hang up, so tlscat must detect the problem by
itself rather than by the end of the stream; modes that end with a close say
so below.

Modes:
  random-bytes             16 KiB from os.urandom instead of a handshake
  truncated-handshake      the first half of a real handshake flight, then a close
  stalled-handshake        the first half of a real handshake flight, then silence
  oversized-record         a record header claiming 2^15 bytes, and the bytes
  garbage-after-handshake  a real handshake, then random bytes
  no-close-notify          a real handshake, a line of data, then a close
                           without close_notify
  data-after-close-notify  (--listen only) a real handshake, then waits for
                           tlscat's close_notify; only then sends 1 MiB
                           (byte i is i % 251) and its own close_notify
  bad-record-then-more     a real handshake, then a record whose MAC cannot
                           verify and 64 KiB tlscat will never read; then
                           reads the socket raw and prints what came back:
                           "got an alert record, then the end of the stream"
                           when tlscat delivered its fatal alert and closed
                           cleanly (use --max-version 1.2: TLS 1.3 hides the
                           record type)

--max-version 1.2 keeps the handshake to TLS 1.2 (default: 1.3).
"""

import argparse
import os
import socket
import ssl
import sys

HELLO = b"hello from the hostile peer\n"


def read_record(conn):
    """One TLS record (header and body), as the peer sent it."""
    data = b""
    while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def first_half_of_flight(conn, args):
    """The start of the handshake flight a real peer would send next."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    if args.listen:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(args.pki, "server-ecdsa-chain.pem"),
                            os.path.join(args.pki, "server-ecdsa.key"))
        tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
        incoming.write(read_record(conn))
    else:
        ctx = ssl.create_default_context(cafile=os.path.join(args.pki, "ca-bundle.pem"))
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    flight = outgoing.read()
    return flight[: len(flight) // 2]


def handshake(conn, args):
    """A real handshake over conn; returns the TLS socket."""
    if args.listen:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(args.pki, "server-ecdsa-chain.pem"),
                            os.path.join(args.pki, "server-ecdsa.key"))
    else:
        ctx = ssl.create_default_context(cafile=os.path.join(args.pki, "ca-bundle.pem"))
    if args.max_version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if args.listen:
        return ctx.wrap_socket(conn, server_side=True)
    return ctx.wrap_socket(conn, server_hostname="localhost")


def linger(conn, seconds):
    """Waits for the other side to hang up, reading whatever it sends."""
    conn.settimeout(seconds)
    try:
        while conn.recv(65536):
            pass
    except (socket.timeout, ConnectionError):
        pass


def misbehave(conn, args):
    mode = args.mode
    if mode == "random-bytes":
        conn.sendall(os.urandom(16 * 1024))
    elif mode in ("truncated-handshake", "stalled-handshake"):
        conn.sendall(first_half_of_flight(conn, args))
        if mode == "truncated-handshake":
            conn.shutdown(socket.SHUT_RDWR)
            return
    elif mode == "oversized-record":
        if args.listen:
            read_record(conn)  # the ClientHello
        # A handshake record of 2^15 bytes: twice what TLS allows.
        conn.sendall(bytes([0x16, 0x03, 0x03, 0x80, 0x00]) + bytes(0x8000))
    elif mode == "garbage-after-handshake":
        tls = handshake(conn, args)
        # Straight onto the socket, past the TLS layer.
        os.write(tls.fileno(), os.urandom(1024))
        linger(tls, args.linger)
        return
    elif mode == "data-after-close-notify":
        tls = handshake(conn, args)
        while tls.recv(65536):  # b"" once tlscat's close_notify is in
            pass
        tls.sendall(bytes(i % 251 for i in range(1 << 20)))
        tls.unwrap()  # sends close_notify
        return
    elif mode == "bad-record-then-more":
        tls = handshake(conn, args)
        fd = tls.fileno()
        # An application_data record of 32 zero bytes: its MAC cannot verify.
        os.write(fd, bytes([0x17, 0x03, 0x03, 0x00, 0x20]) + bytes(32) + bytes(64 * 1024))
        received = b""
        try:
            while chunk := os.read(fd, 65536):
                received += chunk
            ending = "the end of the stream"
        except ConnectionResetError:
            ending = "a reset"
        what = "an alert record" if received[:1] == b"\x15" else f"{len(received)} bytes"
        print(f"got {what}, then {ending}", flush=True)
        return
    elif mode == "no-close-notify":
        tls = handshake(conn, args)
        tls.sendall(HELLO)
        # socket.shutdown on an SSLSocket closes the TCP stream only.
        tls.shutdown(socket.SHUT_RDWR)
        return
    else:
        sys.exit(f"unknown mode {mode}")
    linger(conn, args.linger)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--pki", required=True)
    parser.add_argument("--linger", type=float, default=10.0)
    parser.add_argument("--max-version", choices=("1.2", "1.3"), default="1.3")
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--listen", action="store_true")
    role.add_argument("--connect", type=int, metavar="PORT")
    args = parser.parse_args()

    if args.listen:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
        conn, _ = listener.accept()
    else:
        conn = socket.create_connection(("127.0.0.1", args.connect))
    try:
        misbehave(conn, args)
    except (ConnectionError, ssl.SSLError) as e:
        # tlscat hung up on us first: that is what it should do.
        print(f"tlscat hung up: {e}", flush=True)
    print("done", flush=True)
    conn.close()


if __name__ == "__main__":
    main()
