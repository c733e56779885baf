import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decryptAes128Cbc, derivePbkdf2Sha1, isValueMacValid } from './pskc-crypto';
import { maxPskcBytes, parseSafeXml } from './pskc-xml';
import { parsePskc, type ParsePskcOptions, type PskcFailure, type PskcImport, type PskcProblemCode } from './pskc';
import type { Result } from '../../shared/result';

const fixtures = path.resolve(import.meta.dirname, '../../../test/fixtures/pskc');
const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');
const createdAt = '2026-04-01T09:00:00.000Z';
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'ascii'));

// mfa.md §4, measured with node:crypto from RFC 6030 Figures 6 and 7.
const figure6Psk = Buffer.from('12345678901234567890123456789012', 'hex');
const figure7Passphrase = 'qwerty';

function parse(text: string | Uint8Array, options: Partial<ParsePskcOptions> = {}): Result<PskcImport, PskcFailure> {
  return parsePskc(text, { createdAt, ...options });
}

function problemCodes(result: Result<PskcImport, PskcFailure>): PskcProblemCode[] {
  if (result.ok) throw new Error('expected a failure');
  return result.error.problems.map((problem) => problem.code);
}

function imported(result: Result<PskcImport, PskcFailure>): PskcImport {
  if (!result.ok) throw new Error(`expected success: ${result.error.problems.map((p) => p.message.en).join('; ')}`);
  return result.value;
}

describe('RFC 6030 cryptographic vectors (mfa.md §4)', () => {
  it('Figure 6: the pre-shared key decrypts the MAC key, the MAC matches, the secret decrypts', () => {
    const macKey = decryptAes128Cbc(figure6Psk, decodeBase64('ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX')!);
    expect(hex(macKey!)).toBe('1122334455667788990011223344556677889900');
    const value = decodeBase64('AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv')!;
    expect(isValueMacValid(macKey!, value, decodeBase64('Su+NvtQfmvfJzF6bmQiJqoLRExc=')!)).toBe(true);
    expect(Buffer.from(decryptAes128Cbc(figure6Psk, value)!).toString('ascii')).toBe('12345678901234567890');
  });

  it('Figure 7: PBKDF2(qwerty) gives the key, which decrypts the MAC key and the secret', () => {
    const key = derivePbkdf2Sha1(figure7Passphrase, decodeBase64('Ej7/PEpyEpw=')!, 1000, 16);
    expect(hex(key)).toBe('651e63cd57008476af1ff6422cd02e41');
    const macKey = decryptAes128Cbc(key, decodeBase64('2GTTnLwM3I4e5IO5FkufoOEiOhNj91fhKRQBtBJYluUDsPOLTfUvoU2dStyOwYZx')!);
    expect(hex(macKey!)).toBe('bdaab8d648e850d25a3289364f7d7eaaf53ce581');
    const value = decodeBase64('oTvo+S22nsmS2Z/RtcoF8Hfh+jzMe0RkiafpoDpnoZTjPYZu6V+A4aEn032yCr4f')!;
    expect(isValueMacValid(macKey!, value, decodeBase64('LP6xMvjtypbfT9PdkJhBZ+D6O4w=')!)).toBe(true);
    expect(Buffer.from(decryptAes128Cbc(key, value)!).toString('ascii')).toBe('12345678901234567890');
  });

  it('a flipped MAC byte fails the check', () => {
    const mac = decodeBase64('Su+NvtQfmvfJzF6bmQiJqoLRExc=')!;
    mac[7] = mac[7]! ^ 0x01;
    const value = decodeBase64('AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv')!;
    expect(isValueMacValid(Buffer.from('1122334455667788990011223344556677889900', 'hex'), value, mac)).toBe(false);
  });
});

describe('parsePskc: RFC 6030 figures', () => {
  it('Figure 3 as published is HOTP and is refused with a message naming the key package', () => {
    const result = parse(fixture('rfc6030-figure3.xml'), { defaultUser: 'jsmith' });
    expect(problemCodes(result)).toEqual(['hotp-refused']);
    const problem = (result as { error: PskcFailure }).error.problems[0]!;
    expect(problem.message.en).toContain('KeyPackage 1 (Id 12345678, serial 987654321)');
    expect(problem.message.en).toContain('TOTP');
    expect(problem.message.ja).toContain('シリアル 987654321');
    expect(problem.message.ja).toContain('HOTP');
  });

  it('Figure 3 adapted to TOTP: plain secret, parameters and --user over the DN in UserId', () => {
    const { keys, skipped } = imported(parse(fixture('figure3-totp.xml'), { defaultUser: 'jsmith' }));
    expect(skipped).toEqual([]);
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key.record).toEqual({
      user: 'jsmith',
      secret: ascii('12345678901234567890'),
      algorithm: 'SHA1',
      digits: 8,
      periodSeconds: 30,
      driftSteps: -1,
      source: 'pskc',
      serial: '987654321',
      createdAt,
    });
    expect(key.keyId).toBe('12345678');
    expect(key.manufacturer).toBe('Manufacturer');
    expect(key.issuer).toBe('Issuer');
  });

  it('Figure 3 TOTP without --user: the DN in UserId is not a user name, and the message says what to do', () => {
    const result = parse(fixture('figure3-totp.xml'));
    expect(problemCodes(result)).toEqual(['user-invalid']);
    expect((result as { error: PskcFailure }).error.problems[0]!.message.en).toContain('--user-map');
  });

  it('Figure 6 adapted to TOTP: pre-shared key, MAC checked, secret decrypted', () => {
    const { keys } = imported(parse(fixture('figure6-totp.xml'), { key: { kind: 'pre-shared', key: figure6Psk } }));
    expect(keys.map((key) => key.record)).toEqual([
      expect.objectContaining({ user: 'taro', secret: ascii('12345678901234567890'), digits: 8, periodSeconds: 30, driftSteps: 0, serial: '987654321', source: 'pskc' }),
    ]);
  });

  it('Figure 6 as published decrypts and verifies, then is refused as HOTP', () => {
    expect(problemCodes(parse(fixture('rfc6030-figure6.xml'), { key: { kind: 'pre-shared', key: figure6Psk }, defaultUser: 'taro' }))).toEqual(['hotp-refused']);
  });

  it('Figure 7 adapted to TOTP (pskc#totp form): passphrase, PBKDF2, MAC, secret', () => {
    const { keys } = imported(parse(fixture('figure7-totp.xml'), { key: { kind: 'passphrase', passphrase: figure7Passphrase } }));
    expect(keys.map((key) => key.record)).toEqual([
      expect.objectContaining({ user: 'hanako', secret: ascii('12345678901234567890'), digits: 6, algorithm: 'SHA1', serial: '987654321' }),
    ]);
    expect(keys[0]!.keyId).toBe('123456');
    expect(keys[0]!.manufacturer).toBe('TokenVendorAcme');
  });

  it('Figure 7 as published is refused as HOTP after decryption', () => {
    expect(problemCodes(parse(fixture('rfc6030-figure7.xml'), { key: { kind: 'passphrase', passphrase: figure7Passphrase }, defaultUser: 'hanako' }))).toEqual(['hotp-refused']);
  });
});

describe('parsePskc: keys, passphrases and MACs', () => {
  it('a wrong passphrase is refused as a wrong key, for the whole file', () => {
    const result = parse(fixture('figure7-totp.xml'), { key: { kind: 'passphrase', passphrase: 'Qwerty' } });
    expect(problemCodes(result)).toEqual(['wrong-key']);
    const problem = (result as { error: PskcFailure }).error.problems[0]!;
    expect(problem.keyPackage).toBeNull();
    expect(problem.message.ja).toContain('パスフレーズが違います');
  });

  it('a wrong pre-shared key is refused', () => {
    const wrong = Buffer.from('12345678901234567890123456789013', 'hex');
    expect(problemCodes(parse(fixture('figure6-totp.xml'), { key: { kind: 'pre-shared', key: wrong } }))).toEqual(['wrong-key']);
  });

  it('an encrypted file without a key says which option to use', () => {
    const psk = parse(fixture('figure6-totp.xml'));
    expect(problemCodes(psk)).toEqual(['key-required']);
    expect((psk as { error: PskcFailure }).error.problems[0]!.message.en).toContain('--psk-hex');
    const passphrase = parse(fixture('figure7-totp.xml'));
    expect((passphrase as { error: PskcFailure }).error.problems[0]!.message.en).toContain('--passphrase-file');
  });

  it('the wrong kind of key says which option to use', () => {
    expect(problemCodes(parse(fixture('figure7-totp.xml'), { key: { kind: 'pre-shared', key: figure6Psk } }))).toEqual(['key-kind-mismatch']);
    expect(problemCodes(parse(fixture('figure6-totp.xml'), { key: { kind: 'passphrase', passphrase: 'x' } }))).toEqual(['key-kind-mismatch']);
    expect(problemCodes(parse(fixture('figure6-totp.xml'), { key: { kind: 'pre-shared', key: figure6Psk.subarray(0, 8) } }))).toEqual(['key-invalid']);
  });

  it('a flipped ValueMAC byte refuses the file, naming the key package', () => {
    const flipped = fixture('figure6-totp.xml').replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', flipBase64('Su+NvtQfmvfJzF6bmQiJqoLRExc='));
    const result = parse(flipped, { key: { kind: 'pre-shared', key: figure6Psk } });
    expect(problemCodes(result)).toEqual(['mac-mismatch']);
    expect((result as { error: PskcFailure }).error.problems[0]!.message.en).toMatch(/^KeyPackage 1 \(Id 12345678, serial 987654321\): the ValueMAC does not match/);
  });

  it('a flipped ciphertext byte (MAC intact) is also caught by the MAC', () => {
    const value = 'AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv';
    const altered = fixture('figure6-totp.xml').replace(value, flipBase64(value, 30));
    expect(problemCodes(parse(altered, { key: { kind: 'pre-shared', key: figure6Psk } }))).toEqual(['mac-mismatch']);
  });

  it('one bad MAC among several: the whole file by default, only that key with skipBadMac', () => {
    const text = twoKeyFile({ flipSecond: true });
    const strict = parse(text, { key: { kind: 'pre-shared', key: figure6Psk } });
    expect(problemCodes(strict)).toEqual(['mac-mismatch']);
    expect((strict as { error: PskcFailure }).error.problems[0]!.keyPackage?.en).toBe('KeyPackage 2 (Id k2, serial S2)');

    const lenient = imported(parse(text, { key: { kind: 'pre-shared', key: figure6Psk }, skipBadMac: true }));
    expect(lenient.keys.map((key) => key.record.user)).toEqual(['taro']);
    expect(lenient.skipped.map((problem) => [problem.code, problem.keyPackage?.en])).toEqual([['mac-mismatch', 'KeyPackage 2 (Id k2, serial S2)']]);
  });

  it('every MAC wrong in a file of several means a wrong key, even with skipBadMac', () => {
    const text = twoKeyFile({ flipSecond: true }).replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', flipBase64('Su+NvtQfmvfJzF6bmQiJqoLRExc='));
    expect(problemCodes(parse(text, { key: { kind: 'pre-shared', key: figure6Psk }, skipBadMac: true }))).toEqual(['wrong-key']);
  });

  it('encrypted values without a MACMethod or ValueMAC are refused', () => {
    const noMethod = fixture('figure6-totp.xml').replace(/<MACMethod[\s\S]*<\/MACMethod>/, '');
    expect(problemCodes(parse(noMethod, { key: { kind: 'pre-shared', key: figure6Psk } }))).toEqual(['mac-missing']);
    const noValueMac = fixture('figure6-totp.xml').replace(/<ValueMAC>[\s\S]*<\/ValueMAC>/, '');
    expect(problemCodes(parse(noValueMac, { key: { kind: 'pre-shared', key: figure6Psk } }))).toEqual(['mac-missing']);
  });

  it('other ciphers and KDF parameters are refused with a message', () => {
    const cipher = fixture('figure6-totp.xml').replaceAll('xmlenc#aes128-cbc', 'xmlenc#aes256-cbc');
    expect(problemCodes(parse(cipher, { key: { kind: 'pre-shared', key: figure6Psk } }))).toEqual(['encryption-unsupported']);
    const iterations = fixture('figure7-totp.xml').replace('<IterationCount>1000</IterationCount>', '<IterationCount>999999999</IterationCount>');
    expect(problemCodes(parse(iterations, { key: { kind: 'passphrase', passphrase: 'qwerty' } }))).toEqual(['kdf-unsupported']);
    const prf = fixture('figure7-totp.xml').replace('<PRF/>', '<PRF Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"/>');
    expect(problemCodes(parse(prf, { key: { kind: 'passphrase', passphrase: 'qwerty' } }))).toEqual(['kdf-unsupported']);
  });
});

describe('parsePskc: algorithm parameters and users', () => {
  const plain = (key: string, data = ''): string => `<?xml version="1.0"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><SerialNo>S1</SerialNo><UserId>taro</UserId></DeviceInfo>
    ${key}
      <Data><Secret><PlainValue>${Buffer.from('12345678901234567890123456789012').toString('base64')}</PlainValue></Secret>${data}</Data>
    </Key>
  </KeyPackage>
</KeyContainer>`;
  const totp = (parameters: string): string => `<Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters>${parameters}</AlgorithmParameters>`;

  it.each([
    ['<Suite>HMAC-SHA256</Suite>', 'SHA256'],
    ['<Suite>SHA512</Suite>', 'SHA512'],
    ['<Suite>hmac-sha1</Suite>', 'SHA1'],
    ['', 'SHA1'],
  ])('Suite %j → %s', (suite, algorithm) => {
    const { keys } = imported(parse(plain(totp(`${suite}<ResponseFormat Length="6" Encoding="DECIMAL"/>`))));
    expect(keys[0]!.record.algorithm).toBe(algorithm);
    expect(keys[0]!.record.digits).toBe(6);
  });

  it.each([
    ['<Suite>MD5</Suite><ResponseFormat Length="6" Encoding="DECIMAL"/>', 'suite-unsupported'],
    ['<ResponseFormat Length="7" Encoding="DECIMAL"/>', 'digits-unsupported'],
    ['<ResponseFormat Length="6" Encoding="ALPHANUMERIC"/>', 'digits-unsupported'],
    ['', 'digits-unsupported'],
  ] as const)('%s → %s', (parameters, code) => {
    expect(problemCodes(parse(plain(totp(parameters))))).toEqual([code]);
  });

  it('TimeInterval → period, TimeDrift → drift steps; bad values are refused', () => {
    const format = '<ResponseFormat Length="6" Encoding="DECIMAL"/>';
    const { keys } = imported(parse(plain(totp(format), '<TimeInterval><PlainValue>60</PlainValue></TimeInterval><TimeDrift><PlainValue>2</PlainValue></TimeDrift>')));
    expect(keys[0]!.record).toMatchObject({ periodSeconds: 60, driftSteps: 2 });
    expect(problemCodes(parse(plain(totp(format), '<TimeInterval><PlainValue>0</PlainValue></TimeInterval>')))).toEqual(['parameter-invalid']);
    expect(problemCodes(parse(plain(totp(format), '<TimeInterval><PlainValue>abc</PlainValue></TimeInterval>')))).toEqual(['parameter-invalid']);
    expect(problemCodes(parse(plain(totp(format), '<TimeDrift><PlainValue>5000</PlainValue></TimeDrift>')))).toEqual(['parameter-invalid']);
  });

  it('other algorithms are refused; HOTP gets its own message', () => {
    expect(problemCodes(parse(plain('<Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:pin"><AlgorithmParameters/>')))).toEqual(['algorithm-unsupported']);
    expect(problemCodes(parse(plain('<Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc#hotp"><AlgorithmParameters/>')))).toEqual(['hotp-refused']);
  });

  it('secrets must be 16 to 64 bytes', () => {
    const short = plain(totp('<ResponseFormat Length="6"/>')).replace(/<PlainValue>[A-Za-z0-9+/=]{40,}<\/PlainValue>/, `<PlainValue>${Buffer.alloc(10, 1).toString('base64')}</PlainValue>`);
    expect(problemCodes(parse(short))).toEqual(['secret-length']);
    const long = plain(totp('<ResponseFormat Length="6"/>')).replace(/<PlainValue>[A-Za-z0-9+/=]{40,}<\/PlainValue>/, `<PlainValue>${Buffer.alloc(65, 1).toString('base64')}</PlainValue>`);
    expect(problemCodes(parse(long))).toEqual(['secret-length']);
    const notBase64 = plain(totp('<ResponseFormat Length="6"/>')).replace(/<PlainValue>[A-Za-z0-9+/=]{40,}<\/PlainValue>/, '<PlainValue>***</PlainValue>');
    expect(problemCodes(parse(notBase64))).toEqual(['secret-invalid']);
  });

  it('users: --user-map by serial or Key Id wins, --user only for one token, duplicates refused', () => {
    const one = plain(totp('<ResponseFormat Length="6"/>'));
    expect(imported(parse(one, { userMap: new Map([['S1', 'jiro']]) })).keys[0]!.record.user).toBe('jiro');
    expect(imported(parse(one, { userMap: new Map([['k1', 'saburo']]) })).keys[0]!.record.user).toBe('saburo');
    expect(imported(parse(one, { defaultUser: 'shiro' })).keys[0]!.record.user).toBe('shiro');
    expect(imported(parse(one)).keys[0]!.record.user).toBe('taro');
    expect(problemCodes(parse(one.replace('<UserId>taro</UserId>', '')))).toEqual(['user-missing']);
    expect(problemCodes(parse(one, { defaultUser: 'bad name' }))).toEqual(['user-invalid']);

    const two = twoKeyFile({ flipSecond: false });
    expect(problemCodes(parse(two, { key: { kind: 'pre-shared', key: figure6Psk }, defaultUser: 'x' }))).toEqual(['user-invalid']);
    const duplicate = two.replace('<UserId>jiro</UserId>', '<UserId>taro</UserId>');
    const result = parse(duplicate, { key: { kind: 'pre-shared', key: figure6Psk } });
    expect(problemCodes(result)).toEqual(['user-duplicate']);
    expect((result as { error: PskcFailure }).error.problems[0]!.message.en).toContain('KeyPackage 2');
  });

  it('collects the problems of every key package, not only the first', () => {
    const text = twoKeyFile({ flipSecond: false }).replaceAll('keyprov:pskc:totp', 'keyprov:pskc:hotp');
    expect(problemCodes(parse(text, { key: { kind: 'pre-shared', key: figure6Psk } }))).toEqual(['hotp-refused', 'hotp-refused']);
  });
});

describe('parsePskc: hostile and broken XML', () => {
  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage>&lol3;</KeyPackage></KeyContainer>`;
  const xxe = `<?xml version="1.0"?>
<!doctype KeyContainer [<!ENTITY xxe SYSTEM "file:///etc/shadow">]>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><Key>&xxe;</Key></KeyPackage></KeyContainer>`;

  it.each([
    ['billion laughs', billionLaughs],
    ['external entity (lower-case doctype)', xxe],
    ['a bare DOCTYPE', '<!DOCTYPE KeyContainer><KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>'],
  ])('refuses %s before expanding anything', (_name, text) => {
    const result = parse(text);
    expect(problemCodes(result)).toEqual(['xml-doctype-refused']);
    expect((result as { error: PskcFailure }).error.problems[0]!.message.ja).toContain('DOCTYPE');
  });

  it('refuses an undeclared entity and unbound prefixes as malformed', () => {
    expect(problemCodes(parse('<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc">&nbsp;</KeyContainer>'))).toEqual(['xml-malformed']);
    expect(problemCodes(parse('<x:KeyContainer/>'))).toEqual(['xml-malformed']);
    expect(problemCodes(parse('<KeyContainer'))).toEqual(['xml-malformed']);
    expect(problemCodes(parse(''))).toEqual(['xml-malformed']);
  });

  it('refuses files over 1 MiB before parsing, and non-UTF-8 bytes', () => {
    const big = `<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc">${' '.repeat(maxPskcBytes)}</KeyContainer>`;
    expect(problemCodes(parse(big))).toEqual(['xml-too-large']);
    expect(problemCodes(parse(new Uint8Array([0x3c, 0x61, 0xff, 0x3e])))).toEqual(['xml-not-utf8']);
  });

  it('refuses deep nesting and documents that are not PSKC', () => {
    const deep = `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`;
    expect(problemCodes(parse(deep))).toEqual(['xml-too-deep']);
    expect(problemCodes(parse('<KeyContainer/>'))).toEqual(['not-pskc']);
    expect(problemCodes(parse('<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc" Version="2.0"/>'))).toEqual(['unsupported-version']);
    expect(problemCodes(parse('<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc" Version="1.0"/>'))).toEqual(['no-key-packages']);
  });

  it('reads bytes with a BOM and CDATA text', () => {
    const text = fixture('figure3-totp.xml').replace('MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=', '<![CDATA[MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=]]>');
    const bytes = new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(imported(parse(bytes, { defaultUser: 'jsmith' })).keys).toHaveLength(1);
  });

  it('fuzz: arbitrary text never throws; every failure carries ja and en messages', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = parse(text);
        if (!result.ok) for (const problem of result.error.problems) expectLocalized(problem.message);
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: mutated PSKC files never throw', () => {
    const sources = [fixture('figure6-totp.xml'), fixture('figure7-totp.xml'), fixture('figure3-totp.xml')];
    fc.assert(
      fc.property(
        fc.constantFrom(...sources),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (source, edits, skipBadMac) => {
          let text = source;
          for (const [at, remove, insert] of edits) {
            const position = at % (text.length + 1);
            text = text.slice(0, position) + insert + text.slice(position + remove);
          }
          const key = source.includes('DerivedKey') ? ({ kind: 'passphrase', passphrase: figure7Passphrase } as const) : ({ kind: 'pre-shared', key: figure6Psk } as const);
          const result = parse(text, { key, skipBadMac, defaultUser: 'fuzz' });
          if (!result.ok) for (const problem of result.error.problems) expectLocalized(problem.message);
          else for (const item of result.value.keys) expect(item.record.secret.length).toBeGreaterThanOrEqual(16);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('fuzz: the XML reader never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = parseSafeXml(bytes);
        if (!result.ok) expectLocalized(result.error.message);
      }),
      { numRuns: 500 },
    );
  });
});

function expectLocalized(message: { ja: string; en: string }): void {
  expect(message.ja.length).toBeGreaterThan(0);
  expect(message.en.length).toBeGreaterThan(0);
}

/** Flips one bit of the decoded bytes at `index` and re-encodes. */
function flipBase64(text: string, index = 5): string {
  const bytes = Buffer.from(text, 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString('base64');
}

/** Figure 6 (TOTP) with a second key package (same encrypted value, other user and serial). */
function twoKeyFile(options: { flipSecond: boolean }): string {
  const text = fixture('figure6-totp.xml');
  const start = text.indexOf('<KeyPackage>');
  const end = text.indexOf('</KeyPackage>') + '</KeyPackage>'.length;
  let second = text
    .slice(start, end)
    .replace('<SerialNo>987654321</SerialNo>', '<SerialNo>S2</SerialNo>')
    .replace('<UserId>taro</UserId>', '<UserId>jiro</UserId>')
    .replace('Id="12345678"', 'Id="k2"');
  if (options.flipSecond) second = second.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', flipBase64('Su+NvtQfmvfJzF6bmQiJqoLRExc='));
  return `${text.slice(0, end)}\n    ${second}${text.slice(end)}`;
}
