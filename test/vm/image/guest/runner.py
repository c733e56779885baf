#!/usr/bin/python3
# The test rig's hands inside the VM (docs/testing.md): reads one JSON request per line from the
# virtio-serial port the host drives and answers one JSON line per request. Test infrastructure,
# never installed on a terminal: it runs commands as root for the tests on the host.
#
# Requests carry an "id" and an "op":
#   exec   {argv, stdin?, env?, cwd?, timeoutMs?}   run to completion → {status, signal, stdout, stderr, timedOut}
#   spawn  {argv, env?, cwd?, log}                  start in the background, output to `log` → {pid}
#   read   {path}                                   → {data (base64)} or {missing: true}
#   write  {path, data (base64), mode?}             atomically (rename), parents created
#   ping   {}                                       → {pong: true, bootId}
# Every request runs in its own thread, so a long exec never holds up the others.
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time

PORT = '/dev/virtio-ports/org.mynumber-guard.runner'
write_lock = threading.Lock()


def boot_id():
    with open('/proc/sys/kernel/random/boot_id') as handle:
        return handle.read().strip()


def answer(fd, payload):
    line = (json.dumps(payload, ensure_ascii=True) + '\n').encode('ascii')
    with write_lock:
        view = memoryview(line)
        while view:
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            view = view[written:]


def merged_env(extra):
    env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8', 'HOME': '/root'}
    env.update(extra or {})
    return env


def op_exec(request):
    timeout = request.get('timeoutMs', 60000) / 1000.0
    stdin = request.get('stdin')
    try:
        proc = subprocess.Popen(
            request['argv'],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=merged_env(request.get('env')),
            cwd=request.get('cwd') or '/',
            start_new_session=True,
        )
    except OSError as error:
        return {'status': 127, 'signal': None, 'stdout': '', 'stderr': str(error), 'timedOut': False}
    timed_out = False
    try:
        out, err = proc.communicate(stdin.encode('utf-8') if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    code = proc.returncode
    return {
        'status': code if code >= 0 else None,
        'signal': signal.Signals(-code).name if code < 0 else None,
        'stdout': out.decode('utf-8', 'replace'),
        'stderr': err.decode('utf-8', 'replace'),
        'timedOut': timed_out,
    }


def op_spawn(request):
    log = open(request['log'], 'ab')
    proc = subprocess.Popen(
        request['argv'],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=merged_env(request.get('env')),
        cwd=request.get('cwd') or '/',
        start_new_session=True,
    )
    log.close()
    # Reap it when it ends, so it never lingers as a zombie.
    threading.Thread(target=proc.wait, daemon=True).start()
    return {'pid': proc.pid}


def op_read(request):
    try:
        with open(request['path'], 'rb') as handle:
            return {'data': base64.b64encode(handle.read()).decode('ascii')}
    except FileNotFoundError:
        return {'missing': True}


def op_write(request):
    target = request['path']
    os.makedirs(os.path.dirname(target) or '/', exist_ok=True)
    temp = f'{target}.runner-{os.getpid()}-{threading.get_ident()}'
    with open(temp, 'wb') as handle:
        handle.write(base64.b64decode(request['data']))
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temp, int(request.get('mode', 0o644)))
    os.replace(temp, target)
    return {}


OPS = {
    'exec': op_exec,
    'spawn': op_spawn,
    'read': op_read,
    'write': op_write,
    'ping': lambda request: {'pong': True, 'bootId': boot_id()},
}


def handle(fd, request):
    request_id = request.get('id')
    try:
        operation = OPS[request['op']]
        result = operation(request)
        result.update({'id': request_id, 'ok': True})
    except Exception as error:  # report every failure to the host; the runner itself keeps going
        result = {'id': request_id, 'ok': False, 'error': f'{type(error).__name__}: {error}'}
    answer(fd, result)


def main():
    while not os.path.exists(PORT):
        time.sleep(0.1)
    fd = os.open(PORT, os.O_RDWR)
    sys.stderr.write('runner: listening on %s\n' % PORT)
    pending = b''
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            # The host is not connected: the port reads as end of file until it is.
            time.sleep(0.1)
            continue
        pending += chunk
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            if not line.strip():
                continue
            try:
                request = json.loads(line)
            except ValueError as error:
                answer(fd, {'id': None, 'ok': False, 'error': f'bad request line: {error}'})
                continue
            threading.Thread(target=handle, args=(fd, request), daemon=True).start()


if __name__ == '__main__':
    main()
