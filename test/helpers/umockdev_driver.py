#!/usr/bin/python3
"""Hotplug driver for umockdev testbeds (test suite and benchmarks).

`umockdev-run` cannot emit uevents; umockdev's GObject API can (dev-environment.md §3.4). This
process owns one Testbed and is steered over stdin/stdout with one JSON object per line, so a
Node test can plug and unplug fake USB devices while the code under test listens.

Start it under the preload, or uevents go nowhere (the sender resolves /sys through it):

    umockdev-wrapper /usr/bin/python3 test/helpers/umockdev_driver.py [recording.umockdev ...]

/usr/bin/python3, not the pyenv python3 first on PATH: only Debian's has `gi`.

First line on stdout: {"ok": true, "event": "ready", "dir": <UMOCKDEV_DIR>, "t_ns": ...}. Processes
that must see the testbed get UMOCKDEV_DIR=<dir> and LD_PRELOAD=libumockdev-preload.so.0 explicitly:
the Testbed sets UMOCKDEV_DIR with g_setenv, which neither os.environ nor children see.

Commands (stdin), each answered by exactly one line {"ok": true|false, "id": <echo>, "t_ns": ...}:
  {"cmd": "add", "file": <path>} or {"cmd": "add", "text": <blocks>}
      adds the devices; umockdev emits an `add` uevent per block. Answer: "syspaths" (added, in
      file order), "t_ns" (just before the add: the plug moment latency is measured from),
      "done_ns" (after every uevent was sent).
  {"cmd": "remove", "syspath": "/sys/devices/..."}
      `remove` uevents for the device's interfaces and children (deepest first), then the
      device, then deletes it from the testbed (remove_device emits nothing by itself).
  {"cmd": "uevent", "syspath": ..., "action": "change"}   any uevent action for one device.
  {"cmd": "read", "syspath": ..., "attr": "authorized"}   "value" (text) and "hex" (raw bytes).
  {"cmd": "quit"}                                          answers, then exits 0.
Expected failures (unknown device, bad recording) answer {"ok": false, "error": ...} and the
driver keeps running. The driver exits on stdin EOF, SIGTERM, SIGINT, SIGHUP, and when its parent
dies (PR_SET_PDEATHSIG), and deletes the testbed directory on the way out.
"""

import ctypes
import json
import os
import shutil
import signal
import sys
import time

import gi

gi.require_version('UMockdev', '1.0')
from gi.repository import GLib, UMockdev  # noqa: E402  (gi.require_version must come first)

# Linux prctl(2): deliver SIGTERM to us when the parent (the test process) dies, so a crashed or
# killed test never leaves a driver behind.
PR_SET_PDEATHSIG = 1
UEVENT_ACTIONS = ('add', 'remove', 'change', 'move', 'online', 'offline', 'bind', 'unbind')


class DriverError(Exception):
    """An expected failure answered as {"ok": false}."""


def write_line(payload):
    sys.stdout.write(json.dumps(payload, separators=(',', ':')) + '\n')
    sys.stdout.flush()


def normalise_syspath(value):
    if not isinstance(value, str) or value == '':
        raise DriverError('"syspath" must be a non-empty string like /sys/devices/...')
    if value.startswith('/devices/'):
        value = '/sys' + value
    if not value.startswith('/sys/devices/') or '/../' in value or value.endswith('/..'):
        raise DriverError(f'syspath {value!r} is not below /sys/devices')
    return value.rstrip('/')


class Driver:
    def __init__(self):
        self.testbed = UMockdev.Testbed.new()
        self.root = self.testbed.get_root_dir()

    def host_path(self, syspath):
        return self.root + syspath

    def is_device(self, syspath):
        # umockdev writes a `uevent` file for every device it creates; plain directories
        # (parents made implicitly, `port/`) have none.
        return os.path.isfile(os.path.join(self.host_path(syspath), 'uevent'))

    def require_device(self, syspath):
        if not self.is_device(syspath):
            raise DriverError(f'no device {syspath} in the testbed')

    def add(self, text, origin):
        syspaths = ['/sys' + line[3:].strip() for line in text.splitlines() if line.startswith('P: ')]
        if not syspaths:
            raise DriverError(f'{origin}: no "P: /devices/..." line')
        for syspath in syspaths:
            # umockdev aborts the whole process (g_error, assertion) when a device or its bus link
            # exists already, so refuse here instead.
            if self.is_device(syspath):
                raise DriverError(f'{origin}: device {syspath} is already in the testbed')
            name = os.path.basename(syspath)
            bus_dir = os.path.join(self.root, 'sys', 'bus')
            for subsystem in os.listdir(bus_dir) if os.path.isdir(bus_dir) else []:
                if os.path.lexists(os.path.join(bus_dir, subsystem, 'devices', name)):
                    raise DriverError(f'{origin}: /sys/bus/{subsystem}/devices/{name} is already in the testbed')
        started = time.time_ns()
        try:
            self.testbed.add_from_string(text)
        except GLib.Error as error:
            raise DriverError(f'{origin}: {error.message}') from error
        return {'syspaths': syspaths, 't_ns': started, 'done_ns': time.time_ns()}

    def add_file(self, path):
        if not isinstance(path, str) or path == '':
            raise DriverError('"file" must be a path to a *.umockdev recording')
        try:
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
        except OSError as error:
            raise DriverError(f'cannot read recording {path}: {error.strerror}') from error
        return self.add(text, path)

    def devices_below(self, syspath):
        """The device and every device below it, deepest first (interfaces before their device)."""
        found = []
        for directory, _subdirs, files in os.walk(self.host_path(syspath), followlinks=False):
            if 'uevent' in files:
                found.append(directory[len(self.root):])
        found.sort(key=lambda path: path.count('/'), reverse=True)
        return found

    def remove(self, syspath):
        self.require_device(syspath)
        started = time.time_ns()
        removed = self.devices_below(syspath)
        # dev-environment.md §3.4: remove_device emits nothing, so announce the unplug first,
        # children before parents as the kernel does.
        for path in removed:
            self.testbed.uevent(path, 'remove')
        # One remove_device per device: removing only the top deletes the children's directories
        # but leaves their /sys/bus/usb/devices links, and re-adding such a child then aborts.
        for path in removed:
            self.testbed.remove_device(path)
        return {'syspaths': removed, 't_ns': started, 'done_ns': time.time_ns()}

    def uevent(self, syspath, action):
        self.require_device(syspath)
        if action not in UEVENT_ACTIONS:
            raise DriverError(f'action {action!r} is not one of {", ".join(UEVENT_ACTIONS)}')
        started = time.time_ns()
        self.testbed.uevent(syspath, action)
        return {'t_ns': started, 'done_ns': time.time_ns()}

    def read(self, syspath, attr):
        self.require_device(syspath)
        if not isinstance(attr, str) or attr == '' or attr.startswith('/') or '..' in attr.split('/'):
            raise DriverError(f'attribute {attr!r} is not a relative name like "authorized" or "port/connect_type"')
        try:
            with open(os.path.join(self.host_path(syspath), attr), 'rb') as handle:
                raw = handle.read()
        except OSError as error:
            raise DriverError(f'cannot read {syspath}/{attr}: {error.strerror}') from error
        return {'value': raw.decode('utf-8', errors='replace'), 'hex': raw.hex(), 't_ns': time.time_ns()}

    def handle(self, request):
        command = request.get('cmd')
        if command == 'add':
            if 'text' in request:
                if not isinstance(request['text'], str):
                    raise DriverError('"text" must be a string of umockdev blocks')
                return self.add(request['text'], 'text')
            return self.add_file(request.get('file'))
        if command == 'remove':
            return self.remove(normalise_syspath(request.get('syspath')))
        if command == 'uevent':
            return self.uevent(normalise_syspath(request.get('syspath')), request.get('action'))
        if command == 'read':
            return self.read(normalise_syspath(request.get('syspath')), request.get('attr'))
        raise DriverError(f'unknown command {command!r}')

    def close(self):
        # The Testbed deletes its directory when finalized, which may never happen at interpreter
        # exit; delete it here so no /tmp/umockdev.* is left behind.
        self.testbed = None
        shutil.rmtree(self.root, ignore_errors=True)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv):
    # UMockdev.in_mock_environment() answers False even under the wrapper (umockdev 0.17.16), so
    # look for the preload itself.
    if 'libumockdev-preload' not in os.environ.get('LD_PRELOAD', ''):
        write_line({'ok': False, 'error': 'not running under the umockdev preload: start this driver with umockdev-wrapper'})
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        return 1  # The parent died before prctl took effect: nobody is listening.

    driver = Driver()
    try:
        for path in argv:
            try:
                driver.add_file(path)
            except DriverError as error:
                write_line({'ok': False, 'error': str(error)})
                return 2
        write_line({'ok': True, 'event': 'ready', 'dir': driver.root, 't_ns': time.time_ns()})
        while True:
            line = sys.stdin.readline()
            if line == '':
                return 0  # stdin closed: the test process is gone or done.
            if line.strip() == '':
                continue
            request_id = None
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise DriverError('a command is a JSON object')
                request_id = request.get('id')
                if request.get('cmd') == 'quit':
                    write_line({'ok': True, 'id': request_id, 't_ns': time.time_ns()})
                    return 0
                answer = driver.handle(request)
                write_line({'ok': True, 'id': request_id, **answer})
            except json.JSONDecodeError as error:
                write_line({'ok': False, 'id': None, 'error': f'not JSON: {error.msg}', 't_ns': time.time_ns()})
            except DriverError as error:
                write_line({'ok': False, 'id': request_id, 'error': str(error), 't_ns': time.time_ns()})
    finally:
        driver.close()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
