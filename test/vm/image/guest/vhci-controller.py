#!/usr/bin/python3
# Creates a virtual Bluetooth controller through hci_vhci (/dev/vhci) and keeps it alive until
# SIGTERM: the kernel registers hciN and its rfkill switch (type bluetooth), as for a real adapter.
# Prints "hciN" once the kernel answered. Test rig only (docs/testing.md).
import os
import signal
import sys
import time

fd = os.open('/dev/vhci', os.O_RDWR)
# HCI_VENDOR_PKT (0xff) + device type 0x00 (primary/BR/EDR): "create a controller" (drivers/bluetooth/hci_vhci.c).
os.write(fd, bytes([0xFF, 0x00]))
answer = os.read(fd, 16)
# The answer is a vendor packet: 0xff, the opcode, then the new controller's index (little endian).
if len(answer) < 4 or answer[0] != 0xFF:
    sys.stderr.write('vhci: unexpected answer %r\n' % answer)
    sys.exit(1)
index = answer[2] | (answer[3] << 8)
print('hci%d' % index, flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    # Keep reading (HCI commands from the kernel go unanswered: the controller stays down, which is
    # all rfkill needs), so the queue never fills.
    try:
        os.read(fd, 4096)
    except InterruptedError:
        pass
    time.sleep(0.01)
