// The Windows named-pipe plan is data only; it is not run here (no Windows host, see the module doc).
import { describe, expect, it } from 'vitest';
import {
  agentPipeName,
  fileCreatePipeInstance,
  parseSddlDacl,
  pipeClientAccessMask,
  planNamedPipeIpc,
  planTokenFileSddl,
  windowsUidOfSid,
} from './named-pipe-ipc-plan';

describe('planNamedPipeIpc', () => {
  it('local clients only, first instance only, one frame per buffer', () => {
    const plan = planNamedPipeIpc({ programData: 'D:\\Data\\' });
    expect(plan.pipeName).toBe(agentPipeName);
    expect(agentPipeName).toBe(String.raw`\\.\pipe\mynumber-guard`);
    expect(plan.openMode).toContain('FILE_FLAG_FIRST_PIPE_INSTANCE');
    expect(plan.pipeMode).toContain('PIPE_REJECT_REMOTE_CLIENTS');
    expect([plan.inBufferBytes, plan.outBufferBytes]).toEqual([65536, 65536]);
    expect(plan.tokenDir).toBe('D:\\Data\\mynumber-guard\\tokens');
    expect(() => planNamedPipeIpc({ maxInstances: 255 })).toThrow(RangeError);
  });

  it('the pipe DACL: protected, network denied, users may read and write but not create instances or change the DACL', () => {
    const dacl = parseSddlDacl(planNamedPipeIpc().sddl);
    expect(dacl?.protected).toBe(true);
    const aces = dacl?.aces ?? [];
    expect(aces[0]).toEqual({ type: 'D', flags: '', rights: 'GA', sid: 'NU' });
    expect(aces.filter((a) => a.type === 'A' && a.rights === 'GA').map((a) => a.sid)).toEqual(['SY', 'BA']);
    // Nobody else: no Everyone, no Authenticated Users, no anonymous.
    expect(aces.map((a) => a.sid).sort()).toEqual(['BA', 'IU', 'NU', 'SY']);
    const users = aces.find((a) => a.sid === 'IU');
    const mask = Number(users?.rights);
    expect(mask).toBe(pipeClientAccessMask);
    expect(mask & fileCreatePipeInstance).toBe(0);
    // WRITE_DAC 0x40000, WRITE_OWNER 0x80000, DELETE 0x10000, generic bits 0xF0000000.
    expect(mask & (0x40000 | 0x80000 | 0x10000 | 0xf0000000)).toBe(0);
    // FILE_READ_DATA 0x1 and FILE_WRITE_DATA 0x2 and SYNCHRONIZE 0x100000 are there.
    expect(mask & 0x100003).toBe(0x100003);
  });

  it('token files: read for the one user, nothing for others', () => {
    const sid = 'S-1-5-21-1004336348-1177238915-682003330-1001';
    const dacl = parseSddlDacl(planTokenFileSddl(sid));
    expect(dacl).toEqual({
      protected: true,
      aces: [
        { type: 'A', flags: '', rights: 'FR', sid },
        { type: 'A', flags: '', rights: 'FA', sid: 'SY' },
        { type: 'A', flags: '', rights: 'FA', sid: 'BA' },
      ],
    });
    expect(windowsUidOfSid(sid)).toBe(1001);
    for (const bad of ['S-1-1-0', 'S-1-5-18', 'S-1-5-21-1-2-3-1001)(A;;FA;;;WD', '']) {
      expect(() => planTokenFileSddl(bad)).toThrow(RangeError);
    }
  });

  it('parseSddlDacl refuses what it does not understand', () => {
    expect(parseSddlDacl('O:SYD:P(A;;GA;;;SY)')).toBeUndefined();
    expect(parseSddlDacl('D:P(X;;GA;;;SY)')).toBeUndefined();
    expect(parseSddlDacl('D:(A;;GA;;;SY)')).toEqual({ protected: false, aces: [{ type: 'A', flags: '', rights: 'GA', sid: 'SY' }] });
  });
});
