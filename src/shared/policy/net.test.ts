import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  cidrOverlaps,
  formatIpAddress,
  hasDotSegments,
  isAbsoluteLocalPath,
  isHostname,
  isLoopbackHost,
  isNetworkShare,
  parseCidr,
  parseCollectorUrl,
  parseIpAddress,
} from './net';

describe('parseIpAddress', () => {
  it.each([
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['10.20.0.53', '10.20.0.53'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::', 'fe80::'],
  ])('%s → %s', (text, canonical) => {
    const address = parseIpAddress(text);
    expect(address).toBeDefined();
    if (address !== undefined) expect(formatIpAddress(address)).toBe(canonical);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '010.0.0.1', '1.2.3.-4', ' 1.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', 'fe80::1%eth0', '::g', '1:2:3:4:5:6:7:8::', '::1.2.3'])(
    'rejects %j',
    (text) => expect(parseIpAddress(text)).toBeUndefined(),
  );

  it('formats every IPv4 and IPv6 value back to an equal address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const address = parseIpAddress(text);
        expect(address).toBeDefined();
        if (address === undefined) return;
        expect(parseIpAddress(formatIpAddress(address))).toEqual(address);
      }),
    );
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.20.0.0/16', '10.20.0.0/16', false],
    ['10.20.1.5/16', '10.20.0.0/16', true],
    ['0.0.0.0/0', '0.0.0.0/0', false],
    ['192.0.2.1/32', '192.0.2.1/32', false],
    ['2001:db8::/32', '2001:db8::/32', false],
    ['2001:db8::1/64', '2001:db8::/64', true],
  ])('%s → %s (host bits %s)', (text, canonical, hostBits) => {
    const block = parseCidr(text);
    expect(block?.text).toBe(canonical);
    expect(block?.hostBitsSet).toBe(hostBits);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/', '::/129', '10.0.0.0/8/8', 'a/8'])('rejects %j', (text) =>
    expect(parseCidr(text)).toBeUndefined(),
  );

  it('finds containment and overlap', () => {
    const wide = parseCidr('10.0.0.0/8');
    const narrow = parseCidr('10.20.0.0/16');
    const other = parseCidr('172.16.0.0/12');
    const v6 = parseCidr('::/0');
    if (wide === undefined || narrow === undefined || other === undefined || v6 === undefined) throw new Error('fixture');
    expect(cidrOverlaps(wide, narrow)).toBe(true);
    expect(cidrOverlaps(narrow, wide)).toBe(true);
    expect(cidrOverlaps(wide, other)).toBe(false);
    expect(cidrOverlaps(v6, wide)).toBe(false);
    const inside = parseIpAddress('10.20.3.4');
    const outside = parseIpAddress('10.21.0.1');
    if (inside === undefined || outside === undefined) throw new Error('fixture');
    expect(cidrContains(narrow, inside)).toBe(true);
    expect(cidrContains(narrow, outside)).toBe(false);
  });

  it('overlap is symmetric and matches "one contains the other\'s network"', () => {
    const block = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, prefix]) => parseCidr(`${ip}/${prefix}`));
    fc.assert(
      fc.property(block, block, (a, b) => {
        if (a === undefined || b === undefined) throw new Error('generator produced an invalid block');
        expect(cidrOverlaps(a, b)).toBe(cidrOverlaps(b, a));
        const expected =
          cidrContains(a, { family: 4, value: b.network }) || cidrContains(b, { family: 4, value: a.network });
        expect(cidrOverlaps(a, b)).toBe(expected);
      }),
    );
  });
});

describe('host names, URLs, shares, paths', () => {
  it.each([
    ['collector.mynumber.example', true],
    ['localhost', true],
    ['a-b.c', true],
    ['-a.example', false],
    ['a_b.example', false],
    ['999.1.1.1', false],
    ['example.', false],
    [`${'a'.repeat(64)}.example`, false],
  ])('isHostname(%j) = %s', (text, expected) => expect(isHostname(text)).toBe(expected));

  it.each([
    ['https://collector.example/api/v1', { scheme: 'https', host: 'collector.example', port: undefined, pathAndQuery: '/api/v1' }],
    ['https://10.20.0.10:8443', { scheme: 'https', host: '10.20.0.10', port: 8443, pathAndQuery: '/' }],
    ['http://[::1]:8080/r?a=1&b=%20', { scheme: 'http', host: '::1', port: 8080, pathAndQuery: '/r?a=1&b=%20' }],
  ])('parseCollectorUrl(%j)', (text, expected) => expect(parseCollectorUrl(text)).toEqual(expected));

  it.each(['ftp://x.example/', 'https://user:pw@x.example/', 'https://x.example/#frag', 'https://x.example:0/', 'https://x.example:65536/', 'https://x.example/a b', 'https://[::g]/', 'https:///x', 'HTTPS://x.example/'])(
    'parseCollectorUrl rejects %j',
    (text) => expect(parseCollectorUrl(text)).toBeUndefined(),
  );

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['10.0.0.1', false],
    ['localhost.example', false],
  ])('isLoopbackHost(%j) = %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected));

  it.each([
    ['//fs01.example/share', true],
    ['//fs01/住民記録/2026', true],
    ['//[2001:db8::1]/share', true],
    ['fs01:/export/forms', true],
    ['[2001:db8::1]:/export', true],
    ['//fs01', false],
    ['//fs01/', false],
    ['//fs01/a:b', false],
    ['\\\\fs01\\share', false],
    ['fs01:export', false],
    ['/local/path', false],
  ])('isNetworkShare(%j) = %s', (text, expected) => expect(isNetworkShare(text)).toBe(expected));

  it.each([
    ['/media', true, false],
    ['C:\\Users', true, false],
    ['d:/data', true, false],
    ['media', false, false],
    ['\\\\server\\share', false, false],
    ['/media/../etc', true, true],
    ['/media/./x', true, true],
  ])('%j: absolute %s, dot segments %s', (text, absolute, dots) => {
    expect(isAbsoluteLocalPath(text)).toBe(absolute);
    expect(hasDotSegments(text)).toBe(dots);
  });
});
