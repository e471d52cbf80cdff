"""The workload behind the gateway in the e2e tests: a small stateful TCP server to migrate whole with CRIU.

    python3 gateway-workload.py IP:PORT [--lock FILE]

Like EchoCounter it prints "LISTENING IP:PORT" once and "tick N echoed M" every 100 ms, both counters held in
memory (after a restore they go on). Each connection starts with one header line that says what to do:

    ECHO\n               echo every byte; at the peer's end of stream, end ours (the peer half-closes first)
    TAIL STREAM N RATE\n echo; at the peer's end of stream, send N more bytes of STREAM at RATE bytes/s, then end
    FIRST STREAM N TAG\n send N bytes of STREAM and end our side at once (we half-close first); count and CRC32
                         what the peer sends until its end, then print "received TAG COUNT CRC32"

STREAM bytes are the pattern GatewayPeers checks (splitmix64 of (STREAM << 40) ^ word index, little endian).
--lock FILE takes a flock on FILE: CRIU refuses to dump a process holding file locks unless told to.
"""
import fcntl
import socket
import struct
import sys
import threading
import time
import zlib

MASK = (1 << 64) - 1
echoed = 0
echoed_lock = threading.Lock()
out_lock = threading.Lock()


def say(line):
    """One whole line on stdout: print() from several threads can interleave a line and its newline."""
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def word(stream, k):
    z = (((stream << 40) ^ k) + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def pattern(stream, offset, n):
    first = offset // 8
    last = (offset + n + 7) // 8
    raw = b"".join(struct.pack("<Q", word(stream, k)) for k in range(first, last))
    start = offset - first * 8
    return raw[start:start + n]


def header(conn):
    line = b""
    while not line.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            return None
        line += b
    return line.split()


def echo(conn):
    global echoed
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)
        with echoed_lock:
            echoed += len(data)


def tail(conn, stream, n, rate):
    sent = 0
    start = time.monotonic()
    while sent < n:
        k = min(1024, n - sent)
        conn.sendall(pattern(stream, sent, k))
        sent += k
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def first_close(conn, stream, n, tag):
    conn.sendall(pattern(stream, 0, n))
    conn.shutdown(socket.SHUT_WR)
    count, crc = 0, 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        count += len(data)
        crc = zlib.crc32(data, crc)
    say("received %s %d %d" % (tag, count, crc))


def serve(conn):
    try:
        words = header(conn)
        if words is None:
            return
        mode = words[0].decode()
        if mode == "ECHO":
            echo(conn)
        elif mode == "TAIL":
            echo(conn)
            tail(conn, int(words[1]), int(words[2]), int(words[3]))
        elif mode == "FIRST":
            first_close(conn, int(words[1]), int(words[2]), words[3].decode())
        else:
            say("unknown mode %r" % mode)
    except OSError as e:
        say("connection ended: %s" % e)
    finally:
        conn.close()


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    if "--lock" in sys.argv:
        held = open(sys.argv[sys.argv.index("--lock") + 1], "w")
        fcntl.flock(held, fcntl.LOCK_EX)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, int(port)))
    server.listen(512)
    say("LISTENING %s" % sys.argv[1])

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    tick = 0
    while True:
        say("tick %d echoed %d" % (tick, echoed))
        tick += 1
        time.sleep(0.1)


if __name__ == "__main__":
    main()
