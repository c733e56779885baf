#!/usr/bin/python3
# A stand-in for systemd's notify socket (sd_notify(3)): a Unix datagram socket that prints one
# JSON line per message with the sender's pid from SCM_CREDENTIALS, and closes the fd of a
# BARRIER=1 message (which is how systemd releases `systemd-notify`'s barrier wait).
# Usage: notify_socket_receiver.py <socket path>; prints "ready" once bound.
import array
import json
import os
import socket
import struct
import sys

path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print('ready', flush=True)
while True:
    data, ancillary, _flags, _address = sock.recvmsg(65536, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(16 * 4))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, _uid, _gid = struct.unpack('iII', payload[:12])
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i')
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
            for fd in fds:
                os.close(fd)
    print(json.dumps({'text': data.decode('utf-8', 'replace'), 'pid': pid}), flush=True)
