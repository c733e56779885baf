import { describe, expect, it } from 'vitest';
import {
  formatCommandLine,
  isRegistryKeyWithin,
  normalizeRegistryKey,
  parentRegistryKey,
  regAdd,
  regDeleteKey,
  regDword,
  registryKeyDepth,
  registryKeyName,
  regQuery,
  sameRegistryKey,
  sameRegValue,
  regSz,
} from './registry-model';

describe('registry key paths', () => {
  it('compare the way the registry does: short or long hive name, any case, trailing backslash', () => {
    expect(normalizeRegistryKey('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\')).toBe('hklm\\software\\policies');
    expect(sameRegistryKey('HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR', 'hkey_local_machine\\system\\currentcontrolset\\services\\usbstor')).toBe(true);
    expect(sameRegistryKey('HKLM\\SOFTWARE\\A', 'HKCU\\SOFTWARE\\A')).toBe(false);
    // A hive-like prefix that is not a whole component is not a hive.
    expect(normalizeRegistryKey('HKEY_LOCAL_MACHINEX\\A')).toBe('hkey_local_machinex\\a');
  });

  it('walk up and name components', () => {
    expect(parentRegistryKey('HKLM\\SOFTWARE\\A\\B')).toBe('HKLM\\SOFTWARE\\A');
    expect(parentRegistryKey('HKLM')).toBeUndefined();
    expect(registryKeyName('HKLM\\SOFTWARE\\A\\B\\')).toBe('B');
    expect(registryKeyDepth('HKLM\\SOFTWARE')).toBe(2);
    expect(isRegistryKeyWithin('HKLM\\SOFTWARE\\AB', 'HKLM\\SOFTWARE\\A')).toBe(false);
    expect(isRegistryKeyWithin('HKLM\\SOFTWARE\\A\\B', 'hklm\\software\\a')).toBe(true);
  });
});

describe('registry values and commands', () => {
  it('DWORDs are whole numbers in 0..2^32-1', () => {
    expect(regDword(4)).toEqual({ type: 'REG_DWORD', data: '4' });
    expect(() => regDword(-1)).toThrow(RangeError);
    expect(() => regDword(2 ** 32)).toThrow(RangeError);
    expect(() => regDword(1.5)).toThrow(RangeError);
    expect(sameRegValue(regDword(1), regSz('1'))).toBe(false);
    expect(sameRegValue(null, null)).toBe(true);
  });

  it('every command names the 64-bit view and never goes through a shell line', () => {
    expect(regQuery('HKLM\\SOFTWARE\\A').args).toEqual(['query', 'HKLM\\SOFTWARE\\A', '/reg:64']);
    expect(regDeleteKey('HKLM\\SOFTWARE\\A').args).toEqual(['delete', 'HKLM\\SOFTWARE\\A', '/f', '/reg:64']);
    expect(formatCommandLine(regAdd('HKLM\\SOFTWARE\\A B', 'v', regSz('x & y')))).toBe('reg.exe add "HKLM\\SOFTWARE\\A B" /v v /t REG_SZ /d "x & y" /f /reg:64');
    expect(formatCommandLine(regAdd('HKLM\\SOFTWARE\\A', 'v', regSz('')))).toBe('reg.exe add HKLM\\SOFTWARE\\A /v v /t REG_SZ /d "" /f /reg:64');
  });
});
