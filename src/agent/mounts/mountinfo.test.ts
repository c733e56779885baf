import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayPathText, escapeMountinfoField, makeMountPath, mountPathFromText, unescapeMountinfoField } from './mount-path';
import { parseMountinfo } from './mountinfo';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]));

// Lines as the kernel prints them (Debian 12, 6.1): this machine's first lines, an ext4 loop
// medium, a FUSE exFAT, an SMB share, and a bind mount with optional fields.
const sample = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '24 27 0:6 / /dev rw,relatime shared:2 - devtmpfs devtmpfs rw,size=12358300k,nr_inodes=3089575,mode=755',
  '101 27 7:0 / /media/user/USB\\040STICK rw,relatime shared:57 - ext4 /dev/loop0 rw',
  '102 27 0:55 / /media/user/EXSTICK rw,nosuid,nodev,relatime shared:60 - fuseblk /dev/loop1 rw,user_id=0,group_id=0,allow_other,blksize=4096',
  '103 27 0:56 / /mnt/share rw,relatime shared:61 master:3 - cifs //fs01/共有 rw,vers=3.1.1,cache=strict',
  '104 27 254:1 /srv/data /srv/bind rw,relatime - ext4 /dev/vda1 rw,errors=remount-ro',
  '',
].join('\n');

describe('parseMountinfo', () => {
  it('reads every field of real-shaped lines', () => {
    const { mounts, problems } = parseMountinfo(bytesOf(sample));
    expect(problems).toEqual([]);
    expect(mounts).toHaveLength(6);
    const [proc, dev, loop, exfat, cifs, bind] = mounts;
    expect(proc).toMatchObject({ id: 22, parentId: 27, major: 0, minor: 21, fsType: 'proc', options: ['rw', 'relatime'], optionalFields: [], superOptions: ['rw'] });
    expect(dev?.optionalFields).toEqual(['shared:2']);
    expect(dev?.superOptions).toEqual(['rw', 'size=12358300k', 'nr_inodes=3089575', 'mode=755']);
    expect(loop?.mountPoint.text).toBe('/media/user/USB STICK');
    expect(loop?.mountPoint.display).toBe('/media/user/USB STICK');
    expect(loop).toMatchObject({ major: 7, minor: 0, fsType: 'ext4' });
    expect(loop?.source.text).toBe('/dev/loop0');
    expect(exfat?.fsType).toBe('fuseblk');
    expect(cifs?.optionalFields).toEqual(['shared:61', 'master:3']);
    expect(cifs?.source.text).toBe('//fs01/共有');
    expect(bind?.root.text).toBe('/srv/data');
  });

  it.each([
    ['space', '\\040', ' '],
    ['tab', '\\011', '\t'],
    ['newline', '\\012', '\n'],
    ['backslash', '\\134', '\\'],
  ])('undoes the %s escape', (_name, escaped, raw) => {
    const { mounts } = parseMountinfo(bytesOf(`40 1 7:1 / /media/a${escaped}b rw - ext4 /dev/loop1 rw\n`));
    expect(mounts[0]?.mountPoint.text).toBe(`/media/a${raw}b`);
  });

  it('keeps non-UTF-8 bytes exactly and shows them as \\xHH', () => {
    const line = concat(bytesOf('40 1 7:1 / /media/'), Uint8Array.of(0xff, 0xfe, 0x41), bytesOf('\\012x rw - ext4 /dev/loop1 rw\n'));
    const mount = parseMountinfo(line).mounts[0];
    expect([...(mount?.mountPoint.bytes ?? [])]).toEqual([...bytesOf('/media/'), 0xff, 0xfe, 0x41, 0x0a, 0x78]);
    expect(mount?.mountPoint.display).toBe('/media/\\xff\\xfeA\\nx');
  });

  it('keeps a backslash that is not an escape, and reads Japanese names as text', () => {
    const mount = parseMountinfo(bytesOf('40 1 7:1 / /media/ユーザー/a\\9b\\400 rw - ext4 /dev/loop1 rw\n')).mounts[0];
    expect(mount?.mountPoint.text).toBe('/media/ユーザー/a\\9b\\400');
    expect(mount?.mountPoint.display).toBe('/media/ユーザー/a\\\\9b\\\\400');
  });

  it.each([
    ['too few fields', '1 2 3:4 / /x rw', 'too-few-fields'],
    ['no separator', '1 2 3:4 / /x rw a b c d e', 'no-separator'],
    ['nothing after the separator but two fields', '1 2 3:4 / /x rw x:1 - ext4 /dev/sda1', 'too-few-fields'],
    ['extra fields after the separator', '1 2 3:4 / /x rw - ext4 /dev/sda1 rw extra', 'fields-after-separator'],
    ['bad id', 'x 2 3:4 / /x rw - ext4 /dev/sda1 rw', 'bad-number'],
    ['leading zero', '01 2 3:4 / /x rw - ext4 /dev/sda1 rw', 'bad-number'],
    ['bad device number', '1 2 3-4 / /x rw - ext4 /dev/sda1 rw', 'bad-device-number'],
  ])('reports a line with %s and goes on', (_name, line, code) => {
    const { mounts, problems } = parseMountinfo(bytesOf(`${line}\n22 27 0:21 / /proc rw - proc proc rw\n`));
    expect(problems).toEqual([{ line: 1, code, excerpt: line }]);
    expect(mounts.map((mount) => mount.mountPoint.text)).toEqual(['/proc']);
  });

  it('reports the line number of a bad line between good ones', () => {
    const { problems } = parseMountinfo('22 27 0:21 / /proc rw - proc proc rw\n\nbroken\n');
    expect(problems.map((problem) => problem.line)).toEqual([3]);
  });

  it('accepts a string in the lossless representation', () => {
    const text = '40 1 7:1 / /media/\udcff rw - ext4 /dev/loop1 rw\n';
    expect([...(parseMountinfo(text).mounts[0]?.mountPoint.bytes ?? [])].at(-1)).toBe(0xff);
  });
});

describe('mountinfo escapes', () => {
  it('escapes exactly space, tab, newline and backslash', () => {
    expect(new TextDecoder().decode(escapeMountinfoField(bytesOf('a b\tc\nd\\e#')))).toBe('a\\040b\\011c\\012d\\134e#');
  });

  it('round-trips any bytes through escape → line → parse', () => {
    // Kernel paths hold any byte but NUL; '/' is part of them.
    const pathBytes = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Uint8Array.from(bytes, (byte) => (byte === 0 ? 0x2f : byte)));
    fc.assert(
      fc.property(pathBytes, pathBytes, (point, source) => {
        const line = concat(bytesOf('7 1 8:17 / '), escapeMountinfoField(point), bytesOf(' rw shared:1 - vfat '), escapeMountinfoField(source), bytesOf(' rw\n'));
        const { mounts, problems } = parseMountinfo(line);
        expect(problems).toEqual([]);
        expect([...(mounts[0]?.mountPoint.bytes ?? [])]).toEqual([...point]);
        expect([...(mounts[0]?.source.bytes ?? [])]).toEqual([...source]);
        // One line for people: no raw newline or tab survives in the display form.
        expect(mounts[0]?.mountPoint.display).not.toMatch(/[\n\t]/);
      }),
      { numRuns: 500 },
    );
  });

  it('unescape inverts escape on every byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect([...unescapeMountinfoField(escapeMountinfoField(bytes))]).toEqual([...bytes]);
      }),
    );
  });

  it('never throws on garbage, and accounts for every non-empty line', () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.array(fc.constantFrom(...['1', ' ', '-', ':', '\\', '0', '7', '\n', 'ext4', '/dev/x', '\\040', 'a']), { maxLength: 200 }).map((parts) => bytesOf(parts.join(''))),
    );
    fc.assert(
      fc.property(garbage, (bytes) => {
        const { mounts, problems } = parseMountinfo(bytes);
        const lines = new TextDecoder('latin1').decode(bytes).split('\n').filter((line) => line !== '').length;
        expect(mounts.length + problems.length).toBe(lines);
      }),
      { numRuns: 1000 },
    );
  });

  it('display form shows control and invalid bytes and keeps readable text', () => {
    expect(displayPathText('/a\u0001\u007f\u009b')).toBe('/a\\x01\\x7f\\x9b');
    expect(makeMountPath(Uint8Array.of(0x2f, 0xc3)).display).toBe('/\\xc3');
    expect(mountPathFromText('/media/山田/USB').display).toBe('/media/山田/USB');
  });
});
