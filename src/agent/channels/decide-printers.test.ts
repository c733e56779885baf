import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decidePrinter, decidePrinters, isQueueAllowed, isQueueStopped, queueKey } from './decide-printers';
import type { PrinterFacts, PrinterState } from './model';

const queue = (name: string, state: PrinterState = 'idle', accepting: boolean | null = true): PrinterFacts => ({ name, state, accepting, reason: null });
const policy = (...allow: string[]) => ({ printers: { allow } });

describe('isQueueAllowed', () => {
  it.each([
    ['Office', ['Office'], true],
    ['Office', ['office'], true],
    ['OFFICE', ['Office'], true],
    ['Office', ['Office2'], false],
    ['Office', [], false],
    // CUPS folds ASCII case only.
    ['Ä', ['ä'], false],
  ] as const)('%s in %o → %s', (name, allow, expected) => {
    expect(isQueueAllowed(name, allow)).toBe(expected);
  });
});

describe('isQueueStopped', () => {
  it.each([
    ['disabled', false, true],
    ['disabled', true, false],
    ['idle', false, false],
    ['printing', false, false],
    ['disabled', null, null],
    ['unknown', false, null],
    ['unknown', true, false],
    ['unknown', null, null],
  ] as const)('%s, accepting %s → %s', (state, accepting, expected) => {
    expect(isQueueStopped({ state, accepting })).toBe(expected);
  });
});

describe('decidePrinter', () => {
  it('allows a queue in the allowlist and leaves it alone, even when stopped', () => {
    expect(decidePrinter(queue('Q1'), policy('Q1'), false)).toMatchObject({ target: 'allow', basis: 'allowlist', action: 'none', drift: false });
    expect(decidePrinter(queue('Q1', 'disabled', false), policy('Q1'), true)).toMatchObject({ target: 'allow', action: 'none', drift: false });
  });

  it('stops a queue not in the allowlist', () => {
    expect(decidePrinter(queue('Q2'), policy('Q1'), false)).toMatchObject({ target: 'block', basis: 'not-in-allowlist', stopped: false, action: 'disable', drift: false });
  });

  it('stops every queue without a policy (fail closed)', () => {
    expect(decidePrinter(queue('Q1'), undefined, false)).toMatchObject({ target: 'block', basis: 'no-policy', action: 'disable' });
  });

  it('writes nothing for a queue already stopped and rejecting', () => {
    expect(decidePrinter(queue('Q2', 'disabled', false), policy(), true)).toMatchObject({ stopped: true, action: 'none', drift: false });
  });

  it('completes a half-stopped queue (disabled but accepting)', () => {
    expect(decidePrinter(queue('Q2', 'disabled', true), policy(), false)).toMatchObject({ stopped: false, action: 'disable' });
  });

  it('reports drift when a queue seen stopped is open again', () => {
    expect(decidePrinter(queue('Q2', 'idle', true), policy(), true)).toMatchObject({ action: 'disable', drift: true });
  });

  it('decidePrinters looks drift up by case-folded name', () => {
    const decisions = decidePrinters([queue('Lab'), queue('Q3')], policy(), new Set([queueKey('LAB')]));
    expect(decisions.map((d) => [d.name, d.drift])).toEqual([
      ['Lab', true],
      ['Q3', false],
    ]);
  });
});

describe('decidePrinter properties', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
  const arbQueue = fc.record({
    name,
    state: fc.constantFrom<PrinterState>('idle', 'printing', 'disabled', 'unknown'),
    accepting: fc.constantFrom(true, false, null),
    reason: fc.constant(null),
  });
  const arbPolicy = fc.option(fc.record({ printers: fc.record({ allow: fc.array(name, { maxLength: 5 }) }) }), { nil: undefined });

  it('allows exactly the queues in the allowlist, whatever the case', () => {
    fc.assert(
      fc.property(arbQueue, fc.array(name, { maxLength: 5 }), fc.boolean(), (q, allow, upper) => {
        const listed = [...allow, upper ? q.name.toUpperCase() : q.name.toLowerCase()];
        expect(decidePrinter(q, policy(...listed), false).target).toBe('allow');
        const others = allow.filter((a) => queueKey(a) !== queueKey(q.name));
        expect(decidePrinter(q, policy(...others), false).target).toBe('block');
      }),
    );
  });

  it('acts only on blocked queues that are not shut, and drift needs an earlier stop', () => {
    fc.assert(
      fc.property(arbQueue, arbPolicy, fc.boolean(), (q, p, was) => {
        const d = decidePrinter(q, p, was);
        expect(d.action === 'disable').toBe(d.target === 'block' && d.stopped !== true);
        if (d.drift) expect(was && d.target === 'block').toBe(true);
        if (p === undefined) expect(d.target).toBe('block');
      }),
    );
  });
});
