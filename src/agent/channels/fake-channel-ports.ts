import type { ChannelStepResult, PrinterFacts, PrinterList, RadioFacts, RadioList } from './model';
import type { PrinterQueues, RadioSwitches } from './ports';

/**
 * In-memory radio switches for tests of code that uses the port. Like the kernel as seen through
 * the port: a soft block changes what the next `list()` returns; `world` may be edited between
 * calls to play someone flipping a switch.
 */
export interface FakeRadios extends RadioSwitches {
  world: { state: 'present' | 'absent' | 'unreadable'; radios: RadioFacts[] };
  /** Indices written, in order. */
  readonly writes: number[];
  /** Return a failure text to make the write to this index fail. */
  failWrite?: (index: number) => string | undefined;
}

/** Creates {@link FakeRadios} with these radios present. */
export function createFakeRadios(radios: RadioFacts[]): FakeRadios {
  const fake: FakeRadios = {
    world: { state: 'present', radios: radios.map((r) => ({ ...r })) },
    writes: [],
    list(): Promise<RadioList> {
      if (fake.world.state === 'absent') return Promise.resolve({ state: 'absent' });
      if (fake.world.state === 'unreadable') return Promise.resolve({ state: 'unreadable', detail: 'EACCES' });
      return Promise.resolve({ state: 'present', radios: fake.world.radios.map((r) => ({ ...r })) });
    },
    softBlock(index: number): Promise<ChannelStepResult> {
      const failure = fake.failWrite?.(index);
      if (failure !== undefined) return Promise.resolve({ ok: false, detail: failure });
      const i = fake.world.radios.findIndex((r) => r.index === index);
      if (i < 0) return Promise.resolve({ ok: false, detail: `rfkill${index}: ENOENT` });
      fake.world.radios[i] = { ...(fake.world.radios[i] as RadioFacts), soft: true };
      fake.writes.push(index);
      return Promise.resolve({ ok: true });
    },
  };
  return fake;
}

/** In-memory print queues; `disable` stops and rejects like cupsdisable + cupsreject. */
export interface FakePrinters extends PrinterQueues {
  world: { state: 'known' | 'unknown'; printers: PrinterFacts[] };
  readonly writes: { name: string; reason: string }[];
  failWrite?: (name: string) => string | undefined;
}

/** Creates {@link FakePrinters} with these queues. */
export function createFakePrinters(printers: PrinterFacts[]): FakePrinters {
  const fake: FakePrinters = {
    world: { state: 'known', printers: printers.map((p) => ({ ...p })) },
    writes: [],
    list(): Promise<PrinterList> {
      if (fake.world.state === 'unknown') return Promise.resolve({ state: 'unknown', reason: 'tool-missing', detail: 'lpstat: ENOENT' });
      return Promise.resolve({ state: 'known', printers: fake.world.printers.map((p) => ({ ...p })) });
    },
    disable(name: string, reason: string): Promise<ChannelStepResult> {
      const failure = fake.failWrite?.(name);
      if (failure !== undefined) return Promise.resolve({ ok: false, detail: failure });
      const i = fake.world.printers.findIndex((p) => p.name === name);
      if (i < 0) return Promise.resolve({ ok: false, detail: `${name}: client-error-not-found` });
      fake.world.printers[i] = { ...(fake.world.printers[i] as PrinterFacts), state: 'disabled', accepting: false, reason };
      fake.writes.push({ name, reason });
      return Promise.resolve({ ok: true });
    },
  };
  return fake;
}
