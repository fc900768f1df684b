// Go `time` compatibility, part 2: reference layouts ("2006-01-02T15:04:05Z07:00") for
// formatting and parsing, broken-down times on int64 nanoseconds, and time.ParseDuration.

import { UTC, civilFromDays, daysFromCivil, daysIn, isLeap, zoneAt, type Zone } from './go-zone.js';

export { UTC, daysIn, loadZone, type Zone } from './go-zone.js';

export const NS_PER_SEC = 1_000_000_000n;
export const MIN_NS = -(1n << 63n);
export const MAX_NS = (1n << 63n) - 1n;

export const LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const weekdayName = (d: number): string => LONG_DAYS[d]!;

// ---------------------------------------------------------------------------------------------
// broken-down time

export interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  wday: number; // 0 = Sunday
  yday: number; // 1-366
  offset: number;
  abbr: string;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function toCivil(ns: bigint, z: Zone): Civil {
  const sec = floorDiv(ns, NS_PER_SEC);
  const nsec = Number(ns - sec * NS_PER_SEC);
  const s = Number(sec);
  const { offset, abbr } = zoneAt(z, s);
  const local = s + offset;
  const days = Math.floor(local / 86400);
  const sod = local - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(sod / 3600),
    min: Math.floor((sod % 3600) / 60),
    sec: sod % 60,
    nsec,
    wday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    offset,
    abbr,
  };
}

/** Go time.Date: normalises out-of-range fields, then resolves the local time in zone z. Returns ns (bigint). */
export function fromCivil(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  nsec: number,
  z: Zone,
): bigint {
  let m0 = mo - 1;
  y += Math.floor(m0 / 12);
  m0 = ((m0 % 12) + 12) % 12;
  const days = daysFromCivil(y, m0 + 1, 1) + (d - 1);
  const local = BigInt(days) * 86400n + BigInt(h) * 3600n + BigInt(mi) * 60n + BigInt(s);
  const total = local * NS_PER_SEC + BigInt(nsec);
  if (z.fixed !== undefined) return total - BigInt(z.fixed) * NS_PER_SEC;
  // resolve the zone offset as Go does: the offset in effect at (local - offset)
  const localSec = Number(local);
  // As Go's time.Date: take the offset in effect at the local time read as UTC; if the
  // instant it gives falls under another offset, use that one.
  let off = zoneAt(z, localSec).offset;
  if (off !== 0) {
    const off2 = zoneAt(z, localSec - off).offset;
    if (off2 !== off) off = off2;
  }
  return total - BigInt(off) * NS_PER_SEC;
}

// ---------------------------------------------------------------------------------------------
// layouts

type Std =
  | { k: 'lit'; s: string }
  | {
      k:
        | 'Jan'
        | 'January'
        | '1'
        | '01'
        | 'Mon'
        | 'Monday'
        | '2'
        | '_2'
        | '02'
        | '__2'
        | '002'
        | '15'
        | '3'
        | '03'
        | '4'
        | '04'
        | '5'
        | '05'
        | '2006'
        | '06'
        | 'PM'
        | 'pm'
        | 'MST'
        | 'tz';
      s: string;
      iso?: boolean;
      colon?: boolean;
      secs?: boolean;
      hoursOnly?: boolean;
    }
  | { k: 'frac'; s: string; zeros: boolean; n: number; sep: string };

const layoutCache = new Map<string, Std[]>();

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

export function parseLayout(layout: string): Std[] {
  let r = layoutCache.get(layout);
  if (r) return r;
  r = [];
  let lit = '';
  const push = (x: Std) => {
    if (lit) r!.push({ k: 'lit', s: lit });
    lit = '';
    r!.push(x);
  };
  let i = 0;
  const at = (s: string) => layout.startsWith(s, i);
  while (i < layout.length) {
    const c = layout[i]!;
    let m: Std | undefined;
    switch (c) {
      case 'J':
        if (at('January')) m = { k: 'January', s: 'January' };
        else if (at('Jan')) m = { k: 'Jan', s: 'Jan' };
        break;
      case 'M':
        if (at('Monday')) m = { k: 'Monday', s: 'Monday' };
        else if (at('Mon')) m = { k: 'Mon', s: 'Mon' };
        else if (at('MST')) m = { k: 'MST', s: 'MST' };
        break;
      case '0':
        if (at('002')) m = { k: '002', s: '002' };
        else if (layout[i + 1]! >= '1' && layout[i + 1]! <= '6')
          m = { k: ('0' + layout[i + 1]) as '01', s: '0' + layout[i + 1] };
        break;
      case '1':
        if (at('15')) m = { k: '15', s: '15' };
        else m = { k: '1', s: '1' };
        break;
      case '2':
        if (at('2006')) m = { k: '2006', s: '2006' };
        else m = { k: '2', s: '2' };
        break;
      case '_':
        if (at('_2')) {
          if (at('_2006')) {
            lit += '_';
            i++;
            continue;
          }
          m = { k: '_2', s: '_2' };
        } else if (at('__2')) m = { k: '__2', s: '__2' };
        break;
      case '3':
      case '4':
      case '5':
        m = { k: c, s: c };
        break;
      case 'P':
        if (at('PM')) m = { k: 'PM', s: 'PM' };
        break;
      case 'p':
        if (at('pm')) m = { k: 'pm', s: 'pm' };
        break;
      case '-':
      case 'Z': {
        const iso = c === 'Z';
        for (const [pat, colon, secs, hoursOnly] of [
          ['070000', false, true, false],
          ['07:00:00', true, true, false],
          ['0700', false, false, false],
          ['07:00', true, false, false],
          ['07', false, false, true],
        ] as const) {
          if (at(c + pat)) {
            m = { k: 'tz', s: c + pat, iso, colon, secs, hoursOnly };
            break;
          }
        }
        break;
      }
      case '.':
      case ',':
        if (layout[i + 1] === '0' || layout[i + 1] === '9') {
          const ch = layout[i + 1]!;
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) {
            m = { k: 'frac', s: layout.slice(i, j), zeros: ch === '0', n: j - i - 1, sep: c };
          }
        }
        break;
    }
    if (m) {
      push(m);
      i += m.s.length;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) r.push({ k: 'lit', s: lit });
  if (layoutCache.size > 256) layoutCache.clear();
  layoutCache.set(layout, r);
  return r;
}

const pad = (n: number, w: number) => {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? '-' + s : s;
};

export function formatTime(ns: bigint, z: Zone, layout: string): string {
  const t = toCivil(ns, z);
  let out = '';
  for (const e of parseLayout(layout)) {
    switch (e.k) {
      case 'lit':
        out += e.s;
        break;
      case '2006':
        out += pad(t.year, 4);
        break;
      case '06':
        out += pad(((t.year % 100) + 100) % 100, 2);
        break;
      case 'Jan':
        out += LONG_MONTHS[t.month - 1]!.slice(0, 3);
        break;
      case 'January':
        out += LONG_MONTHS[t.month - 1]!;
        break;
      case '1':
        out += t.month;
        break;
      case '01':
        out += pad(t.month, 2);
        break;
      case 'Mon':
        out += LONG_DAYS[t.wday]!.slice(0, 3);
        break;
      case 'Monday':
        out += LONG_DAYS[t.wday]!;
        break;
      case '2':
        out += t.day;
        break;
      case '_2':
        out += String(t.day).padStart(2, ' ');
        break;
      case '02':
        out += pad(t.day, 2);
        break;
      case '__2':
        out += String(t.yday).padStart(3, ' ');
        break;
      case '002':
        out += pad(t.yday, 3);
        break;
      case '15':
        out += pad(t.hour, 2);
        break;
      case '3':
        out += t.hour % 12 === 0 ? 12 : t.hour % 12;
        break;
      case '03':
        out += pad(t.hour % 12 === 0 ? 12 : t.hour % 12, 2);
        break;
      case '4':
        out += t.min;
        break;
      case '04':
        out += pad(t.min, 2);
        break;
      case '5':
        out += t.sec;
        break;
      case '05':
        out += pad(t.sec, 2);
        break;
      case 'PM':
        out += t.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += t.hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += t.abbr || formatOffset(t.offset, false, false, false);
        break;
      case 'tz':
        if (e.iso && t.offset === 0) out += 'Z';
        else out += formatOffset(t.offset, !!e.colon, !!e.secs, !!e.hoursOnly);
        break;
      case 'frac': {
        const digits = String(t.nsec).padStart(9, '0');
        if (e.zeros) out += e.sep + digits.slice(0, e.n);
        else {
          const d = digits.slice(0, e.n).replace(/0+$/, '');
          if (d) out += e.sep + d;
        }
        break;
      }
    }
  }
  return out;
}

function formatOffset(offset: number, colon: boolean, secs: boolean, hoursOnly: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  let s = sign + pad(Math.floor(a / 3600), 2);
  if (hoursOnly) return s;
  s += (colon ? ':' : '') + pad(Math.floor((a % 3600) / 60), 2);
  if (secs) s += (colon ? ':' : '') + pad(a % 60, 2);
  return s;
}

// ---------------------------------------------------------------------------------------------
// parsing

class ParseError extends Error {}

function quote(s: string): string {
  return JSON.stringify(s);
}

function lookupName(names: string[], v: string, short: boolean): [number, string] | undefined {
  for (let i = 0; i < names.length; i++) {
    const n = short ? names[i]!.slice(0, 3) : names[i]!;
    if (v.length >= n.length && v.slice(0, n.length).toLowerCase() === n.toLowerCase()) return [i, v.slice(n.length)];
  }
  return undefined;
}

function getNum(v: string, fixed: boolean): [number, string] | undefined {
  if (!isDigitAt(v, 0)) return undefined;
  if (!isDigitAt(v, 1)) {
    if (fixed) return undefined;
    return [v.charCodeAt(0) - 48, v.slice(1)];
  }
  return [(v.charCodeAt(0) - 48) * 10 + (v.charCodeAt(1) - 48), v.slice(2)];
}

function skip(value: string, prefix: string): string | undefined {
  while (prefix.length > 0) {
    if (prefix[0] === ' ') {
      if (value.length > 0 && value[0] !== ' ') return undefined;
      prefix = prefix.replace(/^ +/, '');
      value = value.replace(/^ +/, '');
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) return undefined;
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

/** Go time.Parse(layout, value): returns Unix nanoseconds (bigint). Times without zone are UTC. */
export function parseTime(layout: string, value: string, defaultZone: Zone = UTC): bigint {
  const orig = value;
  let year = 0,
    month = -1,
    day = -1,
    yday = -1,
    hour = 0,
    min = 0,
    sec = 0,
    nsec = 0;
  let pm = false,
    am = false;
  let zoneOffset: number | undefined;
  let utc = false;
  const elems = parseLayout(layout);
  const bad = (elem: string, rest: string): never => {
    throw new ParseError(
      `parsing time ${quote(orig)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(elem)}`,
    );
  };
  for (let ei = 0; ei < elems.length; ei++) {
    const e = elems[ei]!;
    if (e.k === 'lit') {
      const r = skip(value, e.s);
      if (r === undefined) bad(e.s, value);
      value = r!;
      continue;
    }
    const hold = value;
    let res: [number, string] | undefined;
    switch (e.k) {
      case '2006': {
        if (value.length < 4 || !/^\d{4}/.test(value)) bad(e.s, hold);
        year = parseInt(value.slice(0, 4), 10);
        value = value.slice(4);
        break;
      }
      case '06': {
        res = getNum(value, true);
        if (!res) bad(e.s, hold);
        year = res![0] >= 69 ? res![0] + 1900 : res![0] + 2000;
        value = res![1];
        break;
      }
      case 'Jan':
      case 'January':
        res = lookupName(LONG_MONTHS, value, e.k === 'Jan');
        if (!res) bad(e.s, hold);
        month = res![0] + 1;
        value = res![1];
        break;
      case '1':
      case '01':
        res = getNum(value, e.k === '01');
        if (!res || res[0] < 1 || res[0] > 12) bad(e.s, hold);
        month = res![0];
        value = res![1];
        break;
      case 'Mon':
      case 'Monday':
        res = lookupName(LONG_DAYS, value, e.k === 'Mon');
        if (!res) bad(e.s, hold);
        value = res![1];
        break;
      case '2':
      case '_2':
      case '02':
        if (e.k === '_2' && value[0] === ' ') value = value.slice(1);
        res = getNum(value, e.k === '02');
        if (!res) bad(e.s, hold);
        day = res![0];
        value = res![1];
        break;
      case '__2':
      case '002': {
        if (e.k === '__2') value = value.replace(/^ {1,2}/, '');
        const m = /^\d{1,3}/.exec(value);
        if (!m || (e.k === '002' && m[0].length !== 3)) bad(e.s, hold);
        yday = parseInt(m![0], 10);
        value = value.slice(m![0].length);
        break;
      }
      case '15':
        res = getNum(value, false);
        if (!res || res[0] > 23) bad(e.s, hold);
        hour = res![0];
        value = res![1];
        break;
      case '3':
      case '03':
        res = getNum(value, e.k === '03');
        if (!res || res[0] > 12) bad(e.s, hold);
        hour = res![0];
        value = res![1];
        break;
      case '4':
      case '04':
        res = getNum(value, e.k === '04');
        if (!res || res[0] > 59) bad(e.s, hold);
        min = res![0];
        value = res![1];
        break;
      case '5':
      case '05': {
        res = getNum(value, e.k === '05');
        if (!res || res[0] > 59) bad(e.s, hold);
        sec = res![0];
        value = res![1];
        // fractional seconds not in the layout
        if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigitAt(value, 1)) {
          const nx = elems[ei + 1];
          if (nx && nx.k === 'frac') break;
          let n = 2;
          while (n < value.length && isDigitAt(value, n)) n++;
          nsec = parseNanos(value.slice(1, n));
          value = value.slice(n);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const p = value.slice(0, 2);
        const want = e.k === 'PM' ? ['PM', 'AM'] : ['pm', 'am'];
        if (p === want[0]) pm = true;
        else if (p === want[1]) am = true;
        else bad(e.s, hold);
        value = value.slice(2);
        break;
      }
      case 'tz': {
        if (e.iso && value[0] === 'Z') {
          value = value.slice(1);
          utc = true;
          break;
        }
        const sign = value[0];
        if (sign !== '+' && sign !== '-') bad(e.s, hold);
        let re: RegExp;
        if (e.hoursOnly) re = /^[+-](\d\d)()()/;
        else if (e.colon) re = e.secs ? /^[+-](\d\d):(\d\d):(\d\d)/ : /^[+-](\d\d):(\d\d)()/;
        else re = e.secs ? /^[+-](\d\d)(\d\d)(\d\d)/ : /^[+-](\d\d)(\d\d)()/;
        const m = re.exec(value);
        if (!m) bad(e.s, hold);
        const hh = parseInt(m![1]!, 10);
        const mm = m![2] ? parseInt(m![2], 10) : 0;
        const ss = m![3] ? parseInt(m![3], 10) : 0;
        if (hh > 24 || mm > 60 || ss > 60) bad(e.s, hold);
        zoneOffset = (hh * 3600 + mm * 60 + ss) * (sign === '-' ? -1 : 1);
        value = value.slice(m![0].length);
        break;
      }
      case 'MST': {
        if (value.startsWith('UTC')) {
          utc = true;
          value = value.slice(3);
          break;
        }
        // Go's parseTimeZone: GMT[+-h], numeric "+03"/"+0530", or an upper-case name; names
        // other than UTC/GMT+h resolve to offset 0 (no zone database lookup for abbreviations).
        const m = /^(GMT)([+-]\d{1,2})?|^[+-]\d\d(?:\d\d)?|^ChST|^MeST|^[A-Z]{3}(?:[A-Z]T|T)?/.exec(value);
        if (!m) bad(e.s, hold);
        if (m![1] === 'GMT' && m![2]) zoneOffset = parseInt(m![2], 10) * 3600;
        else if (m![0] === 'GMT') utc = true;
        value = value.slice(m![0].length);
        break;
      }
      case 'frac': {
        if (e.zeros) {
          const ndigit = 1 + e.n;
          if (value.length < ndigit || (value[0] !== '.' && value[0] !== ',') || !/^\d+$/.test(value.slice(1, ndigit)))
            bad(e.s, hold);
          nsec = parseNanos(value.slice(1, ndigit));
          value = value.slice(ndigit);
        } else {
          if (value.length < 2 || (value[0] !== '.' && value[0] !== ',') || !isDigitAt(value, 1)) break;
          let i = 1;
          while (i < 10 && isDigitAt(value, i)) i++;
          nsec = parseNanos(value.slice(1, i));
          value = value.slice(i);
        }
        break;
      }
    }
  }
  if (value.length > 0) {
    throw new ParseError(`parsing time ${quote(orig)}: extra text: ${quote(value)}`);
  }
  if (pm && hour < 12) hour += 12;
  else if (am && hour === 12) hour = 0;
  if (yday >= 0) {
    if (month < 0 && day < 0) {
      const leap = isLeap(year);
      if (yday < 1 || yday > (leap ? 366 : 365))
        throw new ParseError(`parsing time ${quote(orig)}: day-of-year out of range`);
      const [, m, d] = civilFromDays(daysFromCivil(year, 1, 1) + yday - 1);
      month = m;
      day = d;
    }
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > daysIn(month, year)) {
    throw new ParseError(`parsing time ${quote(orig)}: day out of range`);
  }
  if (utc) return fromCivil(year, month, day, hour, min, sec, nsec, UTC);
  if (zoneOffset !== undefined)
    return fromCivil(year, month, day, hour, min, sec, nsec, { name: '', fixed: zoneOffset });
  return fromCivil(year, month, day, hour, min, sec, nsec, defaultZone);
}

function parseNanos(digits: string): number {
  return parseInt((digits + '000000000').slice(0, 9), 10);
}

// ---------------------------------------------------------------------------------------------
// durations

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  '\u00b5s': 1000n,
  '\u03bcs': 1000n,
  ms: 1_000_000n,
  s: NS_PER_SEC,
  m: 60n * NS_PER_SEC,
  h: 3600n * NS_PER_SEC,
};

/** Go time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): bigint {
  const orig = s;
  const invalid = () => new Error(`time: invalid duration ${quote(orig)}`);
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const ip = m[1]!;
    const fp = m[2];
    if (ip === '' && (fp === undefined || fp === '')) throw invalid();
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)![0];
    if (u === '') throw new Error(`time: missing unit in duration ${quote(orig)}`);
    const unit = UNITS[u];
    if (unit === undefined) throw new Error(`time: unknown unit ${quote(u)} in duration ${quote(orig)}`);
    s = s.slice(u.length);
    let v = BigInt(ip || '0') * unit;
    if (fp) v += (BigInt(fp) * unit) / 10n ** BigInt(fp.length);
    total += v;
    if (total > MAX_NS + (neg ? 1n : 0n)) throw invalid();
  }
  return neg ? -total : total;
}
