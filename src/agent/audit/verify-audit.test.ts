import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { createAuditLog } from './audit-log';
import { createMemoryAuditFile } from './memory-audit-file';
import { auditGenesisHash, type AuditRecord, type AuditRecordRef } from './model';
import { serializeAuditRecord, sha256Hex } from './record';
import { createAuditVerifier, verifyAuditLog, type AuditTamperReason, type AuditVerifyResult } from './verify-audit';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const start = Date.UTC(2025, 3, 1, 0, 0, 0);

/** A log of `count` records written by the real writer, and its head. */
async function writeLog(count: number, options: { stepMs?: number[] } = {}): Promise<{ bytes: Uint8Array; head: AuditRecordRef }> {
  const file = createMemoryAuditFile();
  const clock = createFixedClock(start);
  const log = await createAuditLog({ file, clock, host: 'pc-01', reportError: (error) => expect.fail(error.message) });
  let head: AuditRecordRef = { seq: 0, hash: auditGenesisHash };
  for (let i = 0; i < count; i += 1) {
    head = await log.append({ type: 'usb.blocked', severity: 'notice', data: { i, device: `USB ストレージ ${i}` } });
    clock.advanceMs(options.stepMs?.[i] ?? 1000);
  }
  await log.close();
  return { bytes: file.bytes(), head };
}

function linesOf(bytes: Uint8Array): string[] {
  const lines = decoder.decode(bytes).split('\n');
  lines.pop();
  return lines;
}

function join(lines: readonly string[]): Uint8Array {
  return encoder.encode(lines.map((line) => `${line}\n`).join(''));
}

function recordOf(line: string): AuditRecord {
  return JSON.parse(line) as AuditRecord;
}

function failure(result: AuditVerifyResult): Extract<AuditVerifyResult, { ok: false }> {
  if (result.ok) expect.fail(`expected a problem, got ok with ${result.records} records`);
  return result;
}

describe('verifyAuditLog on intact logs', () => {
  it('accepts a log written by the writer and reports its end', async () => {
    const { bytes, head } = await writeLog(5);
    const result = verifyAuditLog(bytes, head);
    expect(result).toMatchObject({ ok: true, records: 5, lastSeq: 5, lastHash: head.hash, head: { state: 'matched', line: 5, recordsAfter: 0 } });
    expect(verifyAuditLog(bytes)).toMatchObject({ ok: true, records: 5 });
  });

  it('accepts an empty log; with a head it is a truncation', () => {
    expect(verifyAuditLog(new Uint8Array(0))).toMatchObject({ ok: true, records: 0, lastSeq: 0, lastHash: auditGenesisHash });
    const result = failure(verifyAuditLog(new Uint8Array(0), { seq: 3, hash: 'a'.repeat(64) }));
    expect(result.firstBad).toMatchObject({ line: 1, seq: 1, reason: 'truncated' });
  });

  it('accepts a head that lags behind the log (crash before the head write, or an older anchor)', async () => {
    const { bytes } = await writeLog(5);
    const third = linesOf(bytes)[2] as string;
    const result = verifyAuditLog(bytes, { seq: 3, hash: sha256Hex(third) });
    expect(result).toMatchObject({ ok: true, head: { state: 'matched', line: 3, recordsAfter: 2 } });
  });

  it('warns, but does not fail, when the clock went back', async () => {
    const { bytes } = await writeLog(4, { stepMs: [1000, -60_000, 1000] });
    const result = verifyAuditLog(bytes);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ line: 3, seq: 3, kind: 'time-went-back' })]);
  });
});

describe('verifyAuditLog names the first bad record and the kind of tampering', () => {
  let base: { bytes: Uint8Array; head: AuditRecordRef };
  let lines: string[];
  beforeAll(async () => {
    base = await writeLog(5);
    lines = linesOf(base.bytes);
  });
  const at = (index: number): string => lines[index] as string;
  const flipInData = (line: string): string => line.replace('USB ストレージ', 'USB ストレーヂ');

  const cases: Array<{
    name: string;
    mutate: () => string[] | Uint8Array;
    withHead?: boolean;
    expected: { line: number; seq?: number; reason: AuditTamperReason };
  }> = [
    { name: 'one byte edited in the middle record', mutate: () => [at(0), at(1), flipInData(at(2)), at(3), at(4)], expected: { line: 3, seq: 3, reason: 'edited' } },
    { name: 'one byte edited in the first record', mutate: () => [flipInData(at(0)), at(1), at(2), at(3), at(4)], expected: { line: 1, seq: 1, reason: 'edited' } },
    { name: 'one byte of the last record edited, checked against the head', mutate: () => [at(0), at(1), at(2), at(3), flipInData(at(4))], withHead: true, expected: { line: 5, seq: 5, reason: 'edited' } },
    {
      name: "the last record's prev edited, checked against the head",
      mutate: () => [at(0), at(1), at(2), at(3), at(4).replace(/"prev":"(.)/, (_m, c: string) => `"prev":"${c === 'a' ? 'b' : 'a'}`)],
      withHead: true,
      expected: { line: 5, seq: 5, reason: 'edited' },
    },
    { name: 'the seq field of a middle record edited', mutate: () => [at(0), at(1), at(2).replace('"seq":3', '"seq":7'), at(3), at(4)], expected: { line: 3, seq: 7, reason: 'edited' } },
    {
      name: 'a middle record replaced by a well-formed forgery',
      mutate: () => [at(0), at(1), serializeAuditRecord({ ...recordOf(at(2)), prev: 'f'.repeat(64), data: { forged: true } }), at(3), at(4)],
      expected: { line: 3, seq: 3, reason: 'edited' },
    },
    { name: 'a middle record deleted', mutate: () => [at(0), at(1), at(3), at(4)], expected: { line: 3, seq: 4, reason: 'deleted' } },
    { name: 'two middle records deleted', mutate: () => [at(0), at(3), at(4)], expected: { line: 2, seq: 4, reason: 'deleted' } },
    { name: 'the first record deleted', mutate: () => [at(1), at(2), at(3), at(4)], expected: { line: 1, seq: 2, reason: 'deleted' } },
    { name: 'the last record deleted, checked against the head', mutate: () => [at(0), at(1), at(2), at(3)], withHead: true, expected: { line: 5, seq: 5, reason: 'truncated' } },
    { name: 'a garbage line inserted', mutate: () => [at(0), at(1), 'rm -rf /', at(2), at(3), at(4)], expected: { line: 3, reason: 'inserted' } },
    { name: 'an empty line inserted', mutate: () => [at(0), at(1), '', at(2), at(3), at(4)], expected: { line: 3, reason: 'inserted' } },
    {
      name: 'a forged record inserted in the place of the next one (same seq, same prev)',
      mutate: () => [at(0), at(1), serializeAuditRecord({ ...recordOf(at(2)), data: { forged: true } }), at(2), at(3), at(4)],
      expected: { line: 3, seq: 3, reason: 'inserted' },
    },
    {
      name: 'a record from another log inserted',
      mutate: () => [at(0), at(1), serializeAuditRecord({ ...recordOf(at(1)), seq: 40, prev: 'c'.repeat(64) }), at(2), at(3), at(4)],
      expected: { line: 3, seq: 40, reason: 'inserted' },
    },
    { name: 'two adjacent records swapped', mutate: () => [at(0), at(2), at(1), at(3), at(4)], expected: { line: 2, seq: 3, reason: 'reordered' } },
    { name: 'two distant records swapped', mutate: () => [at(0), at(3), at(2), at(1), at(4)], expected: { line: 2, seq: 4, reason: 'reordered' } },
    { name: 'a record moved to the end', mutate: () => [at(0), at(2), at(3), at(4), at(1)], expected: { line: 2, seq: 3, reason: 'reordered' } },
    { name: 'a record duplicated in place', mutate: () => [at(0), at(1), at(2), at(2), at(3), at(4)], expected: { line: 4, seq: 3, reason: 'duplicated' } },
    { name: 'the last record duplicated at the end', mutate: () => [at(0), at(1), at(2), at(3), at(4), at(4)], expected: { line: 6, seq: 5, reason: 'duplicated' } },
    { name: 'an old record copied to the end', mutate: () => [at(0), at(1), at(2), at(3), at(4), at(1)], expected: { line: 6, seq: 2, reason: 'duplicated' } },
    { name: 'the end cut mid-line', mutate: () => base.bytes.subarray(0, base.bytes.length - 10), expected: { line: 5, seq: 5, reason: 'torn-line' } },
    { name: 'the last newline removed', mutate: () => base.bytes.subarray(0, base.bytes.length - 1), expected: { line: 5, seq: 5, reason: 'torn-line' } },
    { name: 'a record broken into invalid JSON', mutate: () => [at(0), at(1), at(2).replace('{"v":1,', '{"v":1'), at(3), at(4)], expected: { line: 3, seq: 3, reason: 'invalid-json' } },
    { name: 'a field with the wrong type', mutate: () => [at(0), at(1), at(2).replace('"seq":3', '"seq":"3"'), at(3), at(4)], expected: { line: 3, reason: 'invalid-record' } },
    { name: 'CRLF line endings', mutate: () => [`${at(0)}\r`, at(1), at(2), at(3), at(4)], expected: { line: 1, seq: 1, reason: 'invalid-record' } },
    { name: 'a byte order mark in front', mutate: () => [`\uFEFF${at(0)}`, at(1), at(2), at(3), at(4)], expected: { line: 1, seq: 1, reason: 'invalid-json' } },
    {
      name: 'keys reordered (same values, other bytes)',
      mutate: () => {
        const { seq, ...rest } = recordOf(at(2));
        return [at(0), at(1), JSON.stringify({ seq, ...rest }), at(3), at(4)];
      },
      expected: { line: 3, seq: 3, reason: 'invalid-record' },
    },
    {
      name: 'a duplicate key that would change what readers see',
      mutate: () => [at(0), at(1), at(2).replace('"severity":"notice"', '"severity":"alert","severity":"notice"'), at(3), at(4)],
      expected: { line: 3, seq: 3, reason: 'invalid-record' },
    },
    { name: 'a record of a newer format', mutate: () => [at(0), at(1), at(2).replace('{"v":1,', '{"v":2,'), at(3), at(4)], expected: { line: 3, seq: 3, reason: 'unsupported-version' } },
  ];

  it.each(cases)('$name', ({ mutate, withHead, expected }) => {
    const mutated = mutate();
    const bytes = mutated instanceof Uint8Array ? mutated : join(mutated);
    const result = failure(verifyAuditLog(bytes, withHead === true ? base.head : undefined));
    expect(result.firstBad).toMatchObject(expected);
    expect(result.firstBad.message.ja.length).toBeGreaterThan(0);
    expect(result.firstBad.message.en.length).toBeGreaterThan(0);
    expect(result.recordsOk).toBe(Math.min(expected.line - 1, result.records));
  });

  it('cannot see, without a head, an edit of the last record or the removal of whole last records', () => {
    // Documented limit (docs/audit.md §3): nothing after the last record vouches for it.
    expect(verifyAuditLog(join([at(0), at(1), at(2), at(3), flipInData(at(4))])).ok).toBe(true);
    expect(verifyAuditLog(join([at(0), at(1), at(2), at(3)])).ok).toBe(true);
  });

  it('names the record the head names when the head comes from another log', () => {
    const result = failure(verifyAuditLog(base.bytes, { seq: 3, hash: 'd'.repeat(64) }));
    expect(result.firstBad).toMatchObject({ line: 3, seq: 3, reason: 'edited' });
    expect(result.head).toMatchObject({ state: 'mismatch', line: 3 });
  });

  it('survives data nested too deeply to serialize, and invalid UTF-8', () => {
    const nested = `${at(0).slice(0, at(0).indexOf('"data":'))}"data":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)},"prev":"${auditGenesisHash}"}`;
    expect(failure(verifyAuditLog(join([nested]))).firstBad).toMatchObject({ line: 1, reason: expect.stringMatching(/invalid-(record|json)/) });
    const bytes = new Uint8Array([...join([at(0)]), 0xff, 0xfe, 0x0a]);
    expect(failure(verifyAuditLog(bytes)).firstBad).toMatchObject({ line: 2, reason: 'invalid-json' });
  });

  it('treats a line over the length limit as an invalid record without keeping it in memory', () => {
    const verifier = createAuditVerifier({ maxLineBytes: 100 });
    verifier.push(join([at(0)]));
    const result = failure(verifier.finish().result);
    expect(result.firstBad).toMatchObject({ line: 1, reason: 'invalid-record' });
  });

  it('gives the same verdict whatever the chunking', () => {
    const tampered = join([at(0), at(2), at(1), at(3), at(4)]);
    const whole = verifyAuditLog(tampered);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const verifier = createAuditVerifier();
        let position = 0;
        for (let i = 0; position < tampered.length; i += 1) {
          const size = sizes[i % sizes.length] as number;
          verifier.push(tampered.slice(position, position + size));
          position += size;
        }
        expect(verifier.finish().result).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('marks a problem acknowledged when an agent alert lists it', () => {
    const tampered = [at(0), at(1), at(3), at(4)];
    const problem = failure(verifyAuditLog(join(tampered))).firstBad;
    const alert = serializeAuditRecord({
      v: 1,
      seq: 6,
      time: '2025-04-02T00:00:00.000Z',
      type: 'audit.chain-broken-detected',
      severity: 'alert',
      host: 'pc-01',
      data: { issues: [{ line: problem.line, seq: problem.seq, reason: problem.reason, hash: problem.lineHash }] },
      prev: sha256Hex(at(4)),
    });
    const result = failure(verifyAuditLog(join([...tampered, alert])));
    expect(result.firstBad).toMatchObject({ line: 3, reason: 'deleted', acknowledged: { line: 5, seq: 6 } });
    expect(result.integrityEvents).toEqual([expect.objectContaining({ line: 5, type: 'audit.chain-broken-detected' })]);
  });
});

describe('verifyAuditLog under random corruption (fast-check)', () => {
  let original: Uint8Array;
  let head: AuditRecordRef;
  let originalLines: string[];
  beforeAll(async () => {
    ({ bytes: original, head } = await writeLog(50));
    originalLines = linesOf(original);
  });

  type Mutation =
    | { kind: 'flip'; at: number; xor: number }
    | { kind: 'delete-line'; at: number }
    | { kind: 'swap-lines'; a: number; b: number }
    | { kind: 'duplicate-line'; at: number; to: number }
    | { kind: 'truncate'; at: number }
    | { kind: 'insert-bytes'; at: number; bytes: Uint8Array };
  const position = fc.nat({ max: 1_000_000 });
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: position, xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('delete-line' as const), at: position }),
    fc.record({ kind: fc.constant('swap-lines' as const), a: position, b: position }),
    fc.record({ kind: fc.constant('duplicate-line' as const), at: position, to: position }),
    fc.record({ kind: fc.constant('truncate' as const), at: position }),
    fc.record({
      kind: fc.constant('insert-bytes' as const),
      at: position,
      bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1 }).map((text) => encoder.encode(`${text}\n`))),
    }),
  );

  function splitKeepingEnd(bytes: Uint8Array): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let from = 0;
    for (let i = 0; i < bytes.length; i += 1) {
      if (bytes[i] === 0x0a) {
        parts.push(bytes.slice(from, i + 1));
        from = i + 1;
      }
    }
    if (from < bytes.length) parts.push(bytes.slice(from));
    return parts;
  }
  function concat(parts: readonly Uint8Array[]): Uint8Array {
    const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  function apply(bytes: Uint8Array, change: Mutation): Uint8Array {
    const parts = splitKeepingEnd(bytes);
    switch (change.kind) {
      case 'flip': {
        if (bytes.length === 0) return bytes;
        const out = bytes.slice();
        const index = change.at % out.length;
        out[index] = (out[index] as number) ^ change.xor;
        return out;
      }
      case 'delete-line':
        if (parts.length === 0) return bytes;
        parts.splice(change.at % parts.length, 1);
        return concat(parts);
      case 'swap-lines': {
        if (parts.length === 0) return bytes;
        const a = change.a % parts.length;
        const b = change.b % parts.length;
        [parts[a], parts[b]] = [parts[b] as Uint8Array, parts[a] as Uint8Array];
        return concat(parts);
      }
      case 'duplicate-line':
        if (parts.length === 0) return bytes;
        parts.splice(change.to % (parts.length + 1), 0, parts[change.at % parts.length] as Uint8Array);
        return concat(parts);
      case 'truncate':
        return bytes.slice(0, change.at % (bytes.length + 1));
      case 'insert-bytes': {
        const at = change.at % (bytes.length + 1);
        return concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
      }
    }
  }
  const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);

  it('never throws, and with the head fails whenever the bytes differ from the original', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
        const mutated = changes.reduce(apply, original);
        const withHead = verifyAuditLog(mutated, head);
        const withoutHead = verifyAuditLog(mutated);
        if (!same(mutated, original)) {
          expect(withHead.ok).toBe(false);
          if (!withHead.ok) expect(withHead.firstBad.line).toBeGreaterThanOrEqual(1);
        } else {
          expect(withHead.ok).toBe(true);
        }
        if (withoutHead.ok) {
          // Without a head, only the end can change unseen: every line but the last must be the
          // original's line at the same place.
          const lines = linesOf(mutated);
          lines.slice(0, -1).forEach((line, index) => expect(line).toBe(originalLines[index]));
        }
      }),
      { numRuns: 600 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.option(fc.record({ seq: fc.integer({ min: 1, max: 60 }), hash: fc.constant(head.hash) }), { nil: undefined }), (bytes, anchor) => {
        const result = verifyAuditLog(bytes, anchor);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});
