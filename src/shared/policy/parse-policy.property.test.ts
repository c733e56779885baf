import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MAX_POLICY_VERSION, parsePolicyText, type PolicyParseResult, type ZonePolicy } from './index';
import { SINGLE_LINE_PATTERN } from './schema';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const defaultPolicy = readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml'), 'utf8');

/** The invariants every result keeps, whatever the input. */
function expectWellFormed(text: string, result: PolicyParseResult): void {
  const lineCount = text.split('\n').length;
  const diagnostics = result.ok ? result.warnings : result.diagnostics;
  if (!result.ok) {
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  } else {
    expect(result.warnings.every((d) => d.severity === 'warning')).toBe(true);
  }
  for (const d of diagnostics) {
    expect(Number.isInteger(d.line) && d.line >= 0 && d.line <= lineCount).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 0).toBe(true);
    expect(d.line === 0).toBe(d.column === 0);
    expect(d.code).toMatch(/^[a-z0-9-]+$/);
    expect(d.message.ja.length).toBeGreaterThan(0);
    expect(d.message.en.length).toBeGreaterThan(0);
  }
}

const yamlTokens = fc.constantFrom(
  'apiVersion', 'kind', 'metadata', 'spec', 'usb', 'rules', 'mynumber-guard/v1', 'ZonePolicy',
  ':', ': ', ' ', '  ', '\n', '\r\n', '\t', '- ', '[', ']', '{', '}', ',', '"', "'", '\\', '#', '&a ', '*a', '!!str ', '!x ',
  '---\n', '...\n', '%YAML 1.1\n', '<<: ', '? ', '|', '>', '0x1F', '0o17', '.inf', '~', 'null', 'no', 'yes', '1e3', '1.5',
  '2026-04-01T00:00:00+09:00', '10.0.0.0/8', '\u0000', '\ufffd', '\u202e', '\ud800', 'あ', '\u0085', '\ufeff',
);

type Mutation =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'replace'; readonly at: number; readonly text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(yamlTokens, fc.string({ unit: 'binary', maxLength: 4 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.oneof(yamlTokens, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'insert') out = out.slice(0, at) + m.text + out.slice(at);
    else if (m.kind === 'delete') out = out.slice(0, at) + out.slice(at + m.length);
    else out = out.slice(0, at) + m.text + out.slice(at + 1);
  }
  return out;
}

describe('parsePolicyText never throws and always explains itself', () => {
  it('on arbitrary strings (any code units, lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expectWellFormed(text, parsePolicyText(text));
      }),
      { numRuns: 300 },
    );
  });

  it('on YAML-like token soup', () => {
    fc.assert(
      fc.property(fc.array(yamlTokens, { maxLength: 80 }), (tokens) => {
        const text = tokens.join('');
        expectWellFormed(text, parsePolicyText(text));
      }),
      { numRuns: 300 },
    );
  });

  it('on random edits of the default policy', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const text = mutate(defaultPolicy, mutations);
        expectWellFormed(text, parsePolicyText(text));
      }),
      { numRuns: 300 },
    );
  });
});

// ---- Generated valid policies -------------------------------------------------------------

/** Printable one-line text as the schema wants it (no controls, no bidi, no outer spaces). */
const singleLine = (maxLength: number) =>
  fc
    .string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', ' ', '-', ':', '#', '"', "'", '{', '[', '*', '&', '!', '%', '@', '`', '|', '>', '?', ','), fc.constantFrom('あ', '漢', 'ア', '・', '（', '）', '　'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength })
    .filter((s) => s.length <= maxLength && SINGLE_LINE_PATTERN.test(s) && !s.includes('\ufffd') && !/[\ufeff\ufffe\uffff]/.test(s));

/** Strings YAML 1.1 or the core schema could mistake for other types: they must survive quoting. */
const trickyWord = fc.constantFrom('no', 'yes', 'on', 'off', 'null', '~', 'true', '0x10', '0o7', '1e3', '.inf', '12', '- x', '# x', 'a: b', "'q'", '"q"');
const label = (maxLength: number) => fc.oneof(singleLine(maxLength), trickyWord);

const lower = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 12 });
const policyId = fc.tuple(lower, fc.array(lower, { maxLength: 3 })).map(([head, rest]) => [head, ...rest].join('-').slice(0, 64));

/** An ISO 8601 date-time with an explicit offset, e.g. `2026-04-01T09:00:00.250+09:00`. */
function isoWithOffset(epochMs: number, offsetMinutes: number, withMillis: boolean): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().replace('Z', '');
  const text = withMillis ? local : local.slice(0, 19);
  if (offsetMinutes === 0) return `${text}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${text}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const DAY = 86_400_000;
const offset = fc.constantFrom(0, 540, -300, 330, 60, -720, 840);

const clauses = fc.uniqueArray(label(200), { minLength: 1, maxLength: 4 });
const mediaAction = fc.constantFrom('deny' as const, 'read-only' as const, 'allow' as const);
const blockOrAllow = fc.constantFrom('block' as const, 'allow' as const);
const hexId = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).padStart(4, '0'));
const usbRule = fc.oneof(
  fc.tuple(fc.constantFrom('allow', 'block', 'reject'), hexId, hexId).map(([t, v, p]) => `${t} id ${v}:${p}`),
  fc.tuple(hexId, label(40)).map(([v, s]) => `allow id ${v}:* serial ${JSON.stringify(s)}`),
  fc.constantFrom('allow with-interface match-all { 03:00:* 03:01:* }', 'reject with-interface all-of { 08:*:* 03:00:* }'),
);
const pathSegment = fc.string({ unit: fc.constantFrom(...'abcxyz019_.'), minLength: 1, maxLength: 8 }).filter((s) => s !== '.' && s !== '..');
const absolutePath = fc.oneof(
  fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
  fc.array(pathSegment, { minLength: 1, maxLength: 3 }).map((segments) => `D:\\${segments.join('\\')}`),
);
const hostName = fc.array(lower, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.example`);
const outsideIp = fc.tuple(fc.constantFrom('192.0.2', '198.51.100', '203.0.113'), fc.integer({ min: 0, max: 255 })).map(([net, host]) => `${net}.${host}`);

function policyArbitrary(): fc.Arbitrary<ZonePolicy> {
  return fc
    .record({
      startMs: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
      lengthDays: fc.integer({ min: 1, max: 800 }),
      startOffset: offset,
      endOffset: offset,
      millis: fc.boolean(),
    })
    .chain(({ startMs, lengthDays, startOffset, endOffset, millis }) => {
      const notBefore = isoWithOffset(startMs, startOffset, millis);
      const notAfter = isoWithOffset(startMs + lengthDays * DAY, endOffset, millis);
      const volume = fc.record(
        {
          name: label(200),
          deviceSerial: label(64),
          filesystemUuid: fc.constantFrom('1A2B-3C4D', '2f5a8c3e-9b1d-4c6e-8f00-1a2b3c4d5e6f', '0123456789ABCDEF'),
          action: fc.constantFrom('read-only' as const, 'allow' as const),
          expires: fc.integer({ min: 1, max: 900 }).chain((days) => offset.map((o) => isoWithOffset(startMs + days * DAY, o, false))),
          reason: fc.oneof(label(200), fc.constant('複数行の\n理由\n')),
        },
        { requiredKeys: ['name', 'deviceSerial', 'action', 'expires', 'reason'] },
      );
      return fc.record(
        {
          apiVersion: fc.constant('mynumber-guard/v1' as const),
          kind: fc.constant('ZonePolicy' as const),
          metadata: fc.record(
            {
              id: policyId,
              version: fc.integer({ min: 1, max: MAX_POLICY_VERSION }),
              issuer: label(200),
              notBefore: fc.constant(notBefore),
              notAfter: fc.constant(notAfter),
              description: fc.oneof(label(300), fc.constant('一行目\n二行目\n')),
              zone: fc.constantFrom('myNumber' as const, 'lgwan' as const, 'internet' as const),
            },
            { requiredKeys: ['id', 'version', 'issuer', 'notBefore', 'notAfter', 'zone'] },
          ),
          spec: fc.record({
            usb: fc.record({
              implements: clauses,
              defaultTarget: fc.constantFrom('block' as const, 'reject' as const),
              rules: fc.uniqueArray(usbRule, { maxLength: 8 }),
            }),
            media: fc.record({
              implements: clauses,
              classes: fc.record(
                { usbStorage: mediaAction, sdCard: mediaAction, optical: mediaAction, networkFilesystem: mediaAction, otherFuse: mediaAction },
                { requiredKeys: ['usbStorage', 'optical', 'networkFilesystem', 'otherFuse'] },
              ),
              approvedVolumes: fc.uniqueArray(volume, { maxLength: 3, selector: (v) => v.deviceSerial }),
              exportDestinations: fc.uniqueArray(
                fc.record({ path: absolutePath, action: fc.constantFrom('record' as const, 'quarantine' as const, 'delete' as const) }),
                { maxLength: 3, selector: (d) => d.path },
              ),
              automount: blockOrAllow,
            }),
            channels: fc.record({
              implements: clauses,
              bluetooth: blockOrAllow,
              wifi: blockOrAllow,
              printers: fc.record({ allow: fc.uniqueArray(label(100), { maxLength: 3 }) }),
              networkShares: fc.record({
                allow: fc.uniqueArray(
                  fc.oneof(
                    fc.tuple(hostName, lower).map(([h, s]) => `//${h}/${s}`),
                    fc.tuple(hostName, lower).map(([h, s]) => `${h}:/export/${s}`),
                  ),
                  { maxLength: 3, selector: (s) => s.toLowerCase() },
                ),
              }),
            }),
            isolation: fc.record(
              {
                implements: clauses,
                // Distinct /24 blocks inside 10.0.0.0/8 never overlap and never hold the canaries below.
                allowedCidrs: fc.uniqueArray(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }).map((ns) => ns.map((n) => `10.${n >> 8}.${n & 0xff}.0/24`)),
                dnsServers: fc.uniqueArray(outsideIp, { maxLength: 2 }),
                allowedInterfaces: fc.uniqueArray(fc.constantFrom('eth0', 'eth1', 'ens33', 'イーサネット 2'), { maxLength: 2 }),
                canaries: fc.uniqueArray(
                  fc.record({
                    name: label(64),
                    host: fc.oneof(outsideIp, hostName),
                    port: fc.integer({ min: 1, max: 65535 }),
                    zone: fc.constantFrom('lgwan' as const, 'internet' as const, 'other' as const),
                  }),
                  { maxLength: 3, selector: (c) => c.name },
                ),
                canaryTimeoutMs: fc.integer({ min: 100, max: 10_000 }),
                checkIntervalSeconds: fc.integer({ min: 10, max: 86_400 }),
              },
              { requiredKeys: ['implements', 'allowedCidrs', 'dnsServers', 'canaries', 'canaryTimeoutMs', 'checkIntervalSeconds'] },
            ),
            mfa: fc.record({
              implements: clauses,
              totp: fc.record({
                algorithm: fc.constantFrom('SHA1' as const, 'SHA256' as const, 'SHA512' as const),
                digits: fc.constantFrom(6 as const, 8 as const),
                periodSeconds: fc.integer({ min: 15, max: 120 }),
                driftSteps: fc.integer({ min: 0, max: 2 }),
              }),
              gracePeriodSeconds: fc.integer({ min: 0, max: 300 }),
              idleLockSeconds: fc.integer({ min: 60, max: 14_400 }),
              unlockPeriodSeconds: fc.integer({ min: 300, max: 86_400 }),
              lockout: fc
                .uniqueArray(fc.integer({ min: 1, max: 86_400 }), { maxLength: 5 })
                .chain((delays) =>
                  fc.record({
                    maxFailures: fc.integer({ min: 1, max: 20 }),
                    delaySeconds: fc.constant([...delays].sort((a, b) => a - b)),
                    lockUntilAdminReset: delays.length === 0 ? fc.constant(true) : fc.boolean(),
                  }),
                ),
              emergencyCode: fc.record({ enabled: fc.boolean(), ttlSeconds: fc.integer({ min: 300, max: 604_800 }) }),
            }),
            reporting: fc.record({
              implements: clauses,
              collectorUrl: fc.oneof(
                fc.tuple(hostName, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), lower).map(
                  ([h, port, p]) => `https://${h}${port === undefined ? '' : `:${port}`}/${p}`,
                ),
                fc.constantFrom('http://127.0.0.1:8080/', 'https://[2001:db8::1]/report?a=1&b=%20'),
              ),
              intervalSeconds: fc.integer({ min: 60, max: 86_400 }),
            }),
          }),
        },
        { requiredKeys: ['apiVersion', 'kind', 'metadata', 'spec'] },
      ) as fc.Arbitrary<ZonePolicy>;
    });
}

const stringifyOptions = fc.record({
  indent: fc.constantFrom(2, 4),
  defaultStringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const),
  collectionStyle: fc.constantFrom('any' as const, 'block' as const, 'flow' as const),
  lineWidth: fc.constantFrom(0, 40, 80),
});

/** A lone high or low surrogate: UTF-16 that is not text. */
const unpairedSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('generated valid policies round-trip through YAML', () => {
  it('text that yaml folded inside a surrogate pair is refused as not text, with its place (seed 1327538645)', () => {
    const text = stringify({ spec: { usb: { implements: ['#𐀀あ𐀀a𝅘𝅥𝅮𐀀 aaaa'] } } }, { indent: 4, defaultStringType: 'PLAIN', collectionStyle: 'flow', lineWidth: 40 });
    expect(unpairedSurrogate.test(text)).toBe(true);
    const result = parsePolicyText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics[0]?.code).toBe('policy-binary');
  });

  it('stringify → parsePolicyText → the same policy', () => {
    fc.assert(
      fc.property(policyArbitrary(), stringifyOptions, (policy, options) => {
        const text = stringify(policy, options);
        // yaml 2.9.1 folds long double-quoted strings between the two halves of a surrogate pair
        // (astral characters), which is not text: the parser rightly refuses it (pinned below).
        fc.pre(!unpairedSurrogate.test(text));
        const result = parsePolicyText(text);
        if (!result.ok) {
          throw new Error(`rejected:\n${result.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message.en}`).join('\n')}\n---\n${text}`);
        }
        expect(result.policy).toEqual(policy);
        expectWellFormed(text, result);
      }),
      { numRuns: 200 },
    );
  });
});
