#!/usr/bin/python3
# Logs in through login(1) on a pseudo-terminal, answering its prompts the way a person would:
# the PAM stack of /etc/pam.d/login runs for real (pam_unix, pam_oath, pam_faillock, pam_systemd).
# Usage: login-pty.py <user> <password> [<one-time code>] [--command <shell command>]
# Prints one JSON line: {"result": "ok"|"refused"|"timeout", "transcript": "...", "output": "..."}
# where output is what the command printed after a successful login. Test rig only.
import json
import os
import pty
import re
import select
import sys
import time

args = sys.argv[1:]
command = 'true'
if '--command' in args:
    at = args.index('--command')
    command = args[at + 1]
    args = args[:at] + args[at + 2:]
user, password = args[0], args[1]
code = args[2] if len(args) > 2 else None

pid, fd = pty.fork()
if pid == 0:
    os.execv('/bin/login', ['login', user])

transcript = b''
deadline = time.time() + 60
answered = set()
marker = b'MNG-LOGIN-' + str(os.getpid()).encode()
result = 'timeout'
output = ''


def send(text):
    os.write(fd, text.encode() + b'\n')


begin_mark = marker + b'-BEGIN'
end_mark = marker + b'-END'
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
    lower = transcript.lower()
    if end_mark in transcript:
        text = transcript.decode('utf-8', 'replace')
        begin = text.rfind(begin_mark.decode())
        end = text.rfind(end_mark.decode())
        output = text[text.find('\n', begin) + 1:end].strip() if 0 <= begin < end else ''
        result = 'ok'
        break
    if b'login incorrect' in lower or b'authentication failure' in lower or b'maximum number of tries' in lower:
        result = 'refused'
        break
    if 'password' not in answered and b'password:' in lower:
        answered.add('password')
        send(password)
    elif 'code' not in answered and b'one-time password' in lower:
        answered.add('code')
        send(code or '')
    elif 'shell' not in answered and 'password' in answered and re.search(rb'[$#] $', transcript):
        answered.add('shell')
        # The markers are split by the shell's quotes, so the echoed command line never matches them.
        m = marker.decode()
        send("echo %s-BEG''IN; %s; echo %s-E''ND; exit" % (m, command, m))

try:
    os.kill(pid, 9)
except ProcessLookupError:
    pass
try:
    os.waitpid(pid, 0)
except ChildProcessError:
    pass
print(json.dumps({'result': result, 'transcript': transcript.decode('utf-8', 'replace'), 'output': output}))
