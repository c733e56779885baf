/**
 * Pure parser of `/proc/<pid>/mountinfo` (proc(5)):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * Fields are separated by single spaces; (7) is zero or more optional fields ended by the `-`
 * separator (8). Escaped fields (4, 5, 9, 10) are unescaped to bytes (mount-path.ts). Works on
 * bytes so non-UTF-8 paths survive; a malformed line is reported and skipped, never thrown.
 */
import { decodeRuleBytes, encodeRuleText } from '../../shared/usb-rules';
import { displayPathText, makeMountPath, unescapeMountinfoField } from './mount-path';
import type { Mount, MountinfoProblem, MountinfoProblemCode, MountinfoRead } from './model';

const decimal = /^(0|[1-9][0-9]{0,9})$/;

function splitBytes(bytes: Uint8Array, separator: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i += 1) {
    if (i === bytes.length || bytes[i] === separator) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

const ascii = (bytes: Uint8Array): string => decodeRuleBytes(bytes);
const optionList = (bytes: Uint8Array): string[] => (bytes.length === 0 ? [] : ascii(unescapeMountinfoField(bytes)).split(','));

type LineResult = { readonly ok: true; readonly mount: Mount } | { readonly ok: false; readonly code: MountinfoProblemCode };

function parseLine(line: Uint8Array): LineResult {
  const fields = splitBytes(line, 0x20);
  if (fields.length < 10) return { ok: false, code: 'too-few-fields' };
  let separator = -1;
  for (let i = 6; i < fields.length; i += 1) {
    const field = fields[i] as Uint8Array;
    if (field.length === 1 && field[0] === 0x2d) {
      separator = i;
      break;
    }
  }
  if (separator === -1) return { ok: false, code: 'no-separator' };
  if (fields.length - separator - 1 !== 3) return { ok: false, code: fields.length - separator - 1 < 3 ? 'too-few-fields' : 'fields-after-separator' };
  const [idText, parentText, devText] = [ascii(fields[0] as Uint8Array), ascii(fields[1] as Uint8Array), ascii(fields[2] as Uint8Array)];
  if (!decimal.test(idText) || !decimal.test(parentText)) return { ok: false, code: 'bad-number' };
  const dev = /^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,9})$/.exec(devText);
  if (dev === null) return { ok: false, code: 'bad-device-number' };
  return {
    ok: true,
    mount: {
      id: Number(idText),
      parentId: Number(parentText),
      major: Number(dev[1]),
      minor: Number(dev[2]),
      root: makeMountPath(unescapeMountinfoField(fields[3] as Uint8Array)),
      mountPoint: makeMountPath(unescapeMountinfoField(fields[4] as Uint8Array)),
      options: optionList(fields[5] as Uint8Array),
      optionalFields: fields.slice(6, separator).map((field) => ascii(field)),
      fsType: ascii(unescapeMountinfoField(fields[separator + 1] as Uint8Array)),
      source: makeMountPath(unescapeMountinfoField(fields[separator + 2] as Uint8Array)),
      superOptions: optionList(fields[separator + 3] as Uint8Array),
    },
  };
}

const maxExcerptChars = 200;

/**
 * Parses mountinfo text. Bytes are preferred (read the file as a Buffer); a string is taken in the
 * lossless representation (U+DC80+byte for raw bytes). Empty lines are ignored (the file ends in
 * a newline); every other line yields a mount or a problem. Never throws.
 */
export function parseMountinfo(input: Uint8Array | string): MountinfoRead {
  const bytes = typeof input === 'string' ? encodeRuleText(input) : input;
  const mounts: Mount[] = [];
  const problems: MountinfoProblem[] = [];
  splitBytes(bytes, 0x0a).forEach((line, index) => {
    if (line.length === 0) return;
    const result = parseLine(line);
    if (result.ok) mounts.push(result.mount);
    else problems.push({ line: index + 1, code: result.code, excerpt: displayPathText(decodeRuleBytes(line)).slice(0, maxExcerptChars) });
  });
  return { mounts, problems };
}
