import { describe, expect, it } from 'vitest';
import { createExecFileCommandRunner } from './command-runner';

// The runner is plain Node (execFile without a shell), so it is tested here with node itself as
// the program; on Windows the same code starts System32\reg.exe.
const node = process.execPath;
const runner = createExecFileCommandRunner();

describe('createExecFileCommandRunner', () => {
  it('passes every argument literally: no shell, no expansion, no splitting', async () => {
    const tricky = ['USB\\VID_0781&PID_5567\\A B', '$(touch /tmp/x)', '`id`', '"quoted"', "it's", '*', '%SystemRoot%', '', '& del /q C:\\'];
    const outcome = await runner.run(node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...tricky]);
    expect(outcome).toEqual({ exitCode: 0, stdout: JSON.stringify(tricky), stderr: '', timedOut: false });
  });

  it('reports a non-zero exit with its stdout and stderr as an outcome', async () => {
    const outcome = await runner.run(node, ['-e', 'process.stdout.write("out"); process.stderr.write("ERROR: denied"); process.exit(1)']);
    expect(outcome).toEqual({ exitCode: 1, stdout: 'out', stderr: 'ERROR: denied', timedOut: false });
  });

  it('kills a command that runs past its time limit and says so', async () => {
    const started = Date.now();
    const outcome = await runner.run(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 });
    expect(outcome.timedOut).toBe(true);
    expect(outcome.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports a command killed by someone else as not timed out', async () => {
    const outcome = await runner.run(node, ['-e', 'process.kill(process.pid, "SIGKILL")']);
    expect(outcome).toMatchObject({ exitCode: null, timedOut: false });
  });

  it('rejects when the program does not exist (broken infrastructure, not an outcome)', async () => {
    await expect(runner.run('/nonexistent/reg.exe', ['query', 'HKLM'])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects output beyond its limit instead of cutting it silently', async () => {
    const small = createExecFileCommandRunner({ maxOutputBytes: 1024 });
    await expect(small.run(node, ['-e', 'process.stdout.write("x".repeat(100000))'])).rejects.toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
  });
});
