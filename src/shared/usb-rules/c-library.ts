/**
 * The few C library behaviours USBGuard 1.1.2 leans on when it checks condition arguments, so the
 * parser accepts exactly the arguments the real one accepts (Debian 12, glibc 2.36, run with
 * TZ=UTC). Only acceptance and the values the checks compare are emulated:
 *
 * - `std::stod` (strtod): `random(p)`;
 * - `strptime` with `%H:%M:%s`, `%H:%M` and `%s`: `localtime(…)`, `rule-applied(…)`, `rule-evaluated(…)`.
 *
 * Inputs are byte strings (char codes 0..255) because the C functions see bytes.
 */

/** C locale `isspace`: space, \t, \n, \v, \f, \r. */
export function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
const hexValue = (code: number): number => {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
};

/** C strings end at the first NUL: what `c_str()` hands to the C function. */
function cString(text: string): string {
  const nul = text.indexOf('\u0000');
  return nul === -1 ? text : text.slice(0, nul);
}

/** Smallest positive normal double (DBL_MIN). */
const DBL_MIN = 2.2250738585072014e-308;

/**
 * `std::stod`: the number strtod reads from the start of `text`, or undefined where stod throws
 * (nothing read: `invalid_argument`; ERANGE: `out_of_range`). Like glibc, ERANGE means the result
 * overflowed to infinity or is an inexact zero or subnormal (tininess after rounding, as on x86-64).
 */
export function parseCDouble(input: string): number | undefined {
  const text = cString(input);
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i += 1;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i += 1;
  }
  const rest = text.slice(i, i + 3).toLowerCase();
  if (rest === 'inf') return negative ? -Infinity : Infinity;
  if (rest === 'nan') return Number.NaN;
  const sign = negative ? -1 : 1;
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    const hex = readHexFloat(text, i + 2);
    // "0x" without a hex digit after it reads as the number 0 (the "x" is left unread).
    if (hex === undefined) return sign * 0;
    return hex.erange ? undefined : sign * hex.value;
  }
  const start = i;
  let digits = 0;
  let mantissa = '';
  while (isDigit(text.charCodeAt(i))) {
    mantissa += text[i];
    digits += 1;
    i += 1;
  }
  let fractionDigits = 0;
  if (text[i] === '.') {
    i += 1;
    while (isDigit(text.charCodeAt(i))) {
      mantissa += text[i];
      fractionDigits += 1;
      digits += 1;
      i += 1;
    }
  }
  if (digits === 0) return undefined;
  let exponent = 0n;
  if (text[i] === 'e' || text[i] === 'E') {
    let j = i + 1;
    let expNegative = false;
    if (text[j] === '+' || text[j] === '-') {
      expNegative = text[j] === '-';
      j += 1;
    }
    if (isDigit(text.charCodeAt(j))) {
      let k = j;
      while (isDigit(text.charCodeAt(k))) k += 1;
      exponent = BigInt(text.slice(j, k)) * (expNegative ? -1n : 1n);
      i = k;
    }
  }
  const literal = text.slice(start, i);
  const value = Number(literal.startsWith('.') ? `0${literal}` : literal);
  if (!Number.isFinite(value)) return undefined;
  const significand = BigInt(mantissa.replace(/^0+(?=.)/, '') || '0');
  if (significand === 0n) return sign * 0;
  if (value === 0) return undefined;
  if (value < DBL_MIN) {
    // A subnormal result is fine only when exact: significand × 10^e == m × 2^-1074.
    const decimalExponent = exponent - BigInt(fractionDigits);
    if (decimalExponent >= 0n) return undefined;
    const m = BigInt(value * 2 ** 537 * 2 ** 537);
    if (significand * 2n ** 1074n !== m * 10n ** -decimalExponent) return undefined;
  }
  return sign * value;
}

/** Reads the hex digits, point and binary exponent after "0x"; undefined when no hex digit follows. */
function readHexFloat(text: string, from: number): { value: number; erange: boolean } | undefined {
  let i = from;
  let mantissa = 0n;
  let digits = 0;
  let fractionDigits = 0;
  while (hexValue(text.charCodeAt(i)) >= 0) {
    mantissa = mantissa * 16n + BigInt(hexValue(text.charCodeAt(i)));
    digits += 1;
    i += 1;
  }
  if (text[i] === '.') {
    i += 1;
    while (hexValue(text.charCodeAt(i)) >= 0) {
      mantissa = mantissa * 16n + BigInt(hexValue(text.charCodeAt(i)));
      digits += 1;
      fractionDigits += 1;
      i += 1;
    }
  }
  if (digits === 0) return undefined;
  let exponent = 0n;
  if (text[i] === 'p' || text[i] === 'P') {
    let j = i + 1;
    let negative = false;
    if (text[j] === '+' || text[j] === '-') {
      negative = text[j] === '-';
      j += 1;
    }
    if (isDigit(text.charCodeAt(j))) {
      let k = j;
      while (isDigit(text.charCodeAt(k))) k += 1;
      exponent = BigInt(text.slice(j, k)) * (negative ? -1n : 1n);
    }
  }
  return roundBinary(mantissa, exponent - BigInt(4 * fractionDigits));
}

/** Rounds mantissa × 2^exponent to a double (round half to even), with glibc's ERANGE verdict. */
export function roundBinary(mantissa: bigint, exponent: bigint): { value: number; erange: boolean } {
  if (mantissa === 0n) return { value: 0, erange: false };
  const bits = BigInt(mantissa.toString(2).length);
  const top = bits - 1n + exponent; // the value lies in [2^top, 2^(top+1))
  if (top > 1023n) return { value: Infinity, erange: true };
  // Keep 53 significant bits, or fewer below the normal range (quantum 2^-1074).
  const quantumExponent = top >= -1022n ? top - 52n : -1074n;
  let shift = quantumExponent - exponent;
  let kept: bigint;
  let inexact = false;
  if (shift <= 0n) {
    kept = mantissa << -shift;
    shift = 0n;
  } else {
    kept = mantissa >> shift;
    const remainder = mantissa - (kept << shift);
    if (remainder !== 0n) {
      inexact = true;
      const half = 1n << (shift - 1n);
      if (remainder > half || (remainder === half && (kept & 1n) === 1n)) kept += 1n;
    }
  }
  const value = Number(kept) * 2 ** Number(quantumExponent / 2n) * 2 ** Number(quantumExponent - quantumExponent / 2n);
  if (!Number.isFinite(value)) return { value: Infinity, erange: true };
  const subnormal = value < DBL_MIN;
  return { value, erange: (subnormal || value === 0) && inexact };
}

/** Bounds of the `time_t` values glibc's localtime_r accepts in UTC (tm_year must fit an int). */
const LOCALTIME_MIN = -67768040609740800n;
const LOCALTIME_MAX = 67768036191676799n;
const SECONDS_PER_DAY = 86400n;

/** What one strptime call read: the fields USBGuard adds up, under both readings. */
export interface StrptimeResult {
  /**
   * Seconds since midnight as USBGuard 1.1.2 computes them under TZ=UTC: `%s` is glibc's
   * "seconds since the epoch", which overwrites the hour and minute already read.
   */
  readonly usbguardSeconds: number;
  /** Seconds as a person means them: hours × 3600 + minutes × 60 + seconds. */
  readonly seconds: number;
}

type Directive = 'H' | 'M' | 's' | ':';

/**
 * glibc `strptime` for the three formats USBGuard tries. Like strptime, it succeeds on a prefix:
 * whatever follows the last directive is ignored. `%H`/`%M` skip leading white space and read at
 * most two digits; `%s` needs a digit at once and reads all digits (int64 arithmetic wraps).
 */
export function strptime(input: string, format: '%H:%M:%s' | '%H:%M' | '%s'): StrptimeResult | undefined {
  const text = cString(input);
  const directives: Directive[] = format === '%s' ? ['s'] : format === '%H:%M' ? ['H', ':', 'M'] : ['H', ':', 'M', ':', 's'];
  let i = 0;
  let hour = 0;
  let minute = 0;
  let epochSeconds: bigint | undefined;
  let secondsField = 0;
  for (const directive of directives) {
    if (directive === ':') {
      if (text[i] !== ':') return undefined;
      i += 1;
      continue;
    }
    if (directive === 's') {
      if (!isDigit(text.charCodeAt(i))) return undefined;
      let secs = 0n;
      let field = 0;
      while (isDigit(text.charCodeAt(i))) {
        const digit = text.charCodeAt(i) - 0x30;
        secs = BigInt.asIntN(64, secs * 10n + BigInt(digit));
        field = Math.min(field * 10 + digit, Number.MAX_SAFE_INTEGER);
        i += 1;
      }
      if (secs < LOCALTIME_MIN || secs > LOCALTIME_MAX) return undefined;
      epochSeconds = secs;
      secondsField = field;
      continue;
    }
    // get_number(from, to, 2): skip space, one digit, a second one only while val * 10 <= to.
    const to = directive === 'H' ? 23 : 59;
    while (isCSpace(text.charCodeAt(i))) i += 1;
    if (!isDigit(text.charCodeAt(i))) return undefined;
    let value = text.charCodeAt(i) - 0x30;
    i += 1;
    if (value * 10 <= to && isDigit(text.charCodeAt(i))) {
      value = value * 10 + (text.charCodeAt(i) - 0x30);
      i += 1;
    }
    if (value > to) return undefined;
    if (directive === 'H') hour = value;
    else minute = value;
  }
  const seconds = hour * 3600 + minute * 60 + secondsField;
  if (epochSeconds === undefined) return { usbguardSeconds: seconds, seconds };
  const dayTime = ((epochSeconds % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
  return { usbguardSeconds: Number(dayTime), seconds };
}
