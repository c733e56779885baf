import { describe, expect, it } from 'vitest';
import { parseCDouble, roundBinary, strptime } from './c-library';

// Expected values are what usbguard-rule-parser 1.1.2 (glibc 2.36, TZ=UTC) does with random(p),
// localtime(…) and rule-applied(…), observed on Debian 12.

describe('parseCDouble (std::stod)', () => {
  it.each([
    ['0.3', 0.3],
    ['.5', 0.5],
    ['5.', 5],
    ['-1', -1],
    ['2', 2],
    [' 0.5x', 0.5],
    ['\t1', 1],
    ['1,5', 1],
    ['+.5e', 0.5],
    ['1e+', 1],
    ['0x', 0],
    ['0x.p1', 0],
    ['0x1p-2', 0.25],
    ['0x1.8p1', 3],
    ['0X1P-1074', 5e-324],
    ['0x1p-1022', 2.2250738585072014e-308],
    ['2.2250738585072014e-308', 2.2250738585072014e-308],
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['0e-999', 0],
    ['INFINITY', Infinity],
    ['-inf', -Infinity],
    ['INFx', Infinity],
  ])('%j reads as %d', (text, value) => {
    expect(parseCDouble(text)).toBe(value);
  });

  it.each(['nan', '-nan', 'NaN(abc'])('%j reads as NaN', (text) => {
    expect(parseCDouble(text)).toBeNaN();
  });

  it.each([
    ['abc', 'nothing read'],
    ['.', 'nothing read'],
    ['in', 'nothing read'],
    ['', 'nothing read'],
    ['\\x31', 'nothing read'],
    ['1e400', 'overflow'],
    ['-1e400', 'overflow'],
    ['1.7976931348623159e308', 'rounds to infinity'],
    ['1e-400', 'underflow to zero'],
    ['1e-310', 'inexact subnormal'],
    ['2.225073858507201e-308', 'inexact subnormal'],
    ['0x1.8p-1074', 'inexact subnormal'],
    ['0x1p99999', 'overflow'],
  ])('%j is refused (%s)', (text) => {
    expect(parseCDouble(text)).toBeUndefined();
  });

  it('stops at NUL, like c_str()', () => {
    expect(parseCDouble('0.25\u00001')).toBe(0.25);
  });

  it('rounds half to even', () => {
    expect(roundBinary((1n << 53n) + 1n, 0n)).toEqual({ value: 2 ** 53, erange: false });
    expect(roundBinary((1n << 53n) + 3n, 0n)).toEqual({ value: 2 ** 53 + 4, erange: false });
  });
});

describe('strptime', () => {
  it.each([
    ['09:00', '%H:%M', 32_400, 32_400],
    ['1:2', '%H:%M', 3_720, 3_720],
    [' 1: 2', '%H:%M', 3_720, 3_720],
    ['7:05x', '%H:%M', 25_500, 25_500],
    ['00:000', '%H:%M', 0, 0],
    ['23:59', '%H:%M', 86_340, 86_340],
    // %s is epoch seconds: it replaces the hour and minute already read.
    ['10:00:05', '%H:%M:%s', 5, 36_005],
    ['10:00:99999', '%H:%M:%s', 13_599, 135_999],
    ['30', '%s', 30, 30],
    ['1h', '%s', 1, 1],
    ['18446744073709551615', '%s', 86_399, Number.MAX_SAFE_INTEGER],
    // The last second localtime_r can express: 23:59:59 on the last day of year 2147485547.
    ['67768036191676799', '%s', 86_399, Number.MAX_SAFE_INTEGER],
  ] as const)('%j with %s', (text, format, usbguardSeconds, seconds) => {
    const result = strptime(text, format);
    expect(result?.usbguardSeconds).toBe(usbguardSeconds);
    if (format !== '%s' || seconds < Number.MAX_SAFE_INTEGER) expect(result?.seconds).toBe(seconds);
  });

  it.each([
    ['24:00', '%H:%M'],
    ['12', '%H:%M'],
    ['1 :2', '%H:%M'],
    ['noon', '%H:%M'],
    ['', '%H:%M'],
    ['10:00:', '%H:%M:%s'],
    ['09:00:\t1', '%H:%M:%s'],
    [' 30', '%s'],
    ['h1', '%s'],
    // Beyond what localtime_r can express (tm_year overflows an int).
    ['67768036191676800', '%s'],
    ['9223372036854775807', '%s'],
  ] as const)('%j does not read with %s', (text, format) => {
    expect(strptime(text, format)).toBeUndefined();
  });
});
