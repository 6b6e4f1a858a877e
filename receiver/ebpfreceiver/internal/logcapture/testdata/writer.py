"""Writes known lines to log and non-log files once a line arrives on stdin.

usage: writer.py DIR scenario|burst|console [N]
"""
import os
import sys

d, mode = sys.argv[1], sys.argv[2]
if mode == "preopened":
    # Open the log before the probe starts (found by its /proc scan).
    f = open(os.path.join(d, "early.log"), "w")
    print("ready", flush=True)
sys.stdin.readline()
if mode == "scenario":
    with open(os.path.join(d, "willsee.log"), "w") as f:
        f.write("first line\n")
        f.flush()
        f.write("second ")
        f.flush()
        f.write("line\nthird line\n")
        f.flush()
    with open(os.path.join(d, "wontsee.txt"), "w") as f:
        f.write("nobody sees this\n")
    with open(os.path.join(d, "willsee.log"), "ab") as f:
        f.write(b"\x00\x01binary\xff\n")
    # A dup of a log fd is captured too; the last line has no newline and
    # is emitted when the file is closed.
    fd = os.open(os.path.join(d, "willsee.log"), os.O_WRONLY | os.O_APPEND)
    fd2 = os.dup(fd)
    os.close(fd)
    os.write(fd2, "through a dup\n".encode())
    os.writev(fd2, [b"vec", b"tored\n", "ünïcode\n".encode()])
    os.write(fd2, b"no newline at end")
    os.close(fd2)
elif mode == "burst":
    n = int(sys.argv[3])
    with open(os.path.join(d, "burst.log"), "w") as f:
        for i in range(n):
            f.write("burst line %07d %s\n" % (i, "x" * 40))
elif mode == "big":
    with open(os.path.join(d, "big.log"), "w") as f:
        f.write("A" * 100 + "\nlost line\n")
        f.flush()
        f.write("next\n")
        f.flush()
        f.write("last\n")
elif mode == "preopened":
    f.write("written after the probe started\n")
    f.flush()
    f.write("second\n")
    f.close()
elif mode == "console":
    sys.stdout.write("to stdout 1\nto stdout 2\n")
    sys.stdout.flush()
    sys.stderr.write("to stderr\n")
    sys.stderr.flush()
