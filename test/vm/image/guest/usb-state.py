#!/usr/bin/python3
# Prints the kernel's view of every USB device as one JSON document (test rig only): what the
# kernel decided, read back from sysfs, for the real-kernel USB tests (test/vm/usb.test.ts).
#   [{"port", "vendor", "productId", "product", "serial", "authorized", "authorizedDefault",
#     "interfaces": [{"name", "class", "authorized", "driver"}], "block": [...], "net": [...], "tty": [...]}]
import json
import os

BASE = '/sys/bus/usb/devices'


def read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace').strip()
    except OSError:
        return None


def driver(path):
    link = os.path.join(path, 'driver')
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else None


def below(path, kind):
    found = []
    for root, dirs, _files in os.walk(path):
        if os.path.basename(root) == kind:
            found.extend(sorted(dirs))
            dirs[:] = []
    return sorted(set(found))


devices = []
for name in sorted(os.listdir(BASE)):
    path = os.path.realpath(os.path.join(BASE, name))
    if ':' in name or read(os.path.join(path, 'idVendor')) is None:
        continue
    interfaces = []
    for entry in sorted(os.listdir(path)):
        if entry.startswith(name.replace('usb', '') + '-0:' if name.startswith('usb') else name + ':'):
            ipath = os.path.join(path, entry)
            interfaces.append({
                'name': entry,
                'class': '%s:%s:%s' % (read(os.path.join(ipath, 'bInterfaceClass')), read(os.path.join(ipath, 'bInterfaceSubClass')), read(os.path.join(ipath, 'bInterfaceProtocol'))),
                'authorized': read(os.path.join(ipath, 'authorized')),
                'driver': driver(ipath),
            })
    devices.append({
        'port': name,
        'vendor': read(os.path.join(path, 'idVendor')),
        'productId': read(os.path.join(path, 'idProduct')),
        'product': read(os.path.join(path, 'product')),
        'serial': read(os.path.join(path, 'serial')),
        'authorized': read(os.path.join(path, 'authorized')),
        'authorizedDefault': read(os.path.join(path, 'authorized_default')),
        'interfaces': interfaces,
        'block': below(path, 'block'),
        'net': below(path, 'net'),
        'tty': below(path, 'tty'),
    })
print(json.dumps(devices))
