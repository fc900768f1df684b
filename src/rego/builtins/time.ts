// Builtin family "time": int64 nanosecond timestamps with Go layouts and IANA zones.
import { BigNum, intValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, intOperand, num, str, typeError, operandError } from './operands.js';
import {
  LAYOUTS,
  MAX_NS,
  MIN_NS,
  UTC,
  daysIn,
  formatTime,
  fromCivil,
  loadZone,
  parseDuration,
  parseTime,
  toCivil,
  weekdayName,
  type Zone,
} from './go-time.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const EITHER = 'either number (ns) or [number (ns), string (tz)]';

interface TzTime {
  ns: bigint;
  zone: Zone;
  layout: string;
}

function tzTime(a: Value): TzTime {
  let nVal: Value;
  let zone = UTC;
  let layout = '';
  if (Array.isArray(a)) {
    if (a.length === 0) throw typeError(`operand 1 must be ${EITHER} but got array`);
    nVal = num(1, a[0]!);
    if (a.length > 1) {
      const tz = str(1, a[1]!);
      try {
        zone = loadZone(tz);
      } catch (e) {
        throw builtinError((e as Error).message);
      }
    }
    if (a.length > 2) layout = str(1, a[2]!);
  } else if (typeof a === 'number' || a instanceof BigNum) nVal = a;
  else throw operandError(1, EITHER, a);
  let ns: bigint;
  if (nVal instanceof BigNum) ns = nVal.n;
  else if (typeof nVal === 'number' && Number.isInteger(nVal)) ns = BigInt(nVal);
  else throw builtinError('timestamp too big');
  if (ns < MIN_NS || ns > MAX_NS) throw builtinError('timestamp too big');
  return { ns, zone, layout };
}

function safeNs(ns: bigint): Value {
  if (ns < MIN_NS || ns > MAX_NS) throw builtinError('time outside of valid range');
  return intValue(ns);
}

builtins.push({
  name: 'time.now_ns',
  arity: 0,
  reads: 'clock',
  fn: (_args, ctx) => intValue(ctx.nowNs),
});

builtins.push({
  name: 'time.parse_ns',
  arity: 2,
  fn: ([a, b]) => {
    let layout = str(1, a!);
    const value = str(2, b!);
    layout = LAYOUTS[layout] ?? layout;
    let ns: bigint;
    try {
      ns = parseTime(layout, value);
    } catch (e) {
      throw builtinError((e as Error).message);
    }
    return safeNs(ns);
  },
});

builtins.push({
  name: 'time.parse_rfc3339_ns',
  arity: 1,
  fn: ([a]) => {
    const value = str(1, a!);
    let ns: bigint;
    try {
      ns = parseTime(LAYOUTS.RFC3339!, value);
    } catch (e) {
      throw builtinError((e as Error).message);
    }
    return safeNs(ns);
  },
});

builtins.push({
  name: 'time.parse_duration_ns',
  arity: 1,
  fn: ([a]) => {
    try {
      return intValue(parseDuration(str(1, a!)));
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('time:')) throw builtinError(e.message);
      throw e;
    }
  },
});

builtins.push({
  name: 'time.format',
  arity: 1,
  fn: ([a]) => {
    const t = tzTime(a!);
    const layout = t.layout === '' ? LAYOUTS.RFC3339Nano! : (LAYOUTS[t.layout] ?? t.layout);
    return formatTime(t.ns, t.zone, layout);
  },
});

builtins.push({
  name: 'time.date',
  arity: 1,
  fn: ([a]) => {
    const t = tzTime(a!);
    const c = toCivil(t.ns, t.zone);
    return [c.year, c.month, c.day];
  },
});

builtins.push({
  name: 'time.clock',
  arity: 1,
  fn: ([a]) => {
    const t = tzTime(a!);
    const c = toCivil(t.ns, t.zone);
    return [c.hour, c.min, c.sec];
  },
});

builtins.push({
  name: 'time.weekday',
  arity: 1,
  fn: ([a]) => {
    const t = tzTime(a!);
    return weekdayName(toCivil(t.ns, t.zone).wday);
  },
});

builtins.push({
  name: 'time.add_date',
  arity: 4,
  fn: ([a, y, m, d]) => {
    const t = tzTime(a!);
    const years = intOperand(2, y!);
    const months = intOperand(3, m!);
    const days = intOperand(4, d!);
    const c = toCivil(t.ns, t.zone);
    const ns = fromCivil(c.year + years, c.month + months, c.day + days, c.hour, c.min, c.sec, c.nsec, t.zone);
    return safeNs(ns);
  },
});

builtins.push({
  name: 'time.diff',
  arity: 2,
  fn: ([a, b]) => {
    const t1 = tzTime(a!);
    const t2 = tzTime(b!);
    let n1 = t1.ns;
    let n2 = t2.ns;
    if (n1 > n2) [n1, n2] = [n2, n1];
    const c1 = toCivil(n1, t1.zone);
    const c2 = toCivil(n2, t1.zone);
    let year = c2.year - c1.year;
    let month = c2.month - c1.month;
    let day = c2.day - c1.day;
    let hour = c2.hour - c1.hour;
    let min = c2.min - c1.min;
    let sec = c2.sec - c1.sec;
    if (sec < 0) {
      sec += 60;
      min--;
    }
    if (min < 0) {
      min += 60;
      hour--;
    }
    if (hour < 0) {
      hour += 24;
      day--;
    }
    if (day < 0) {
      day += daysIn(c1.month, c1.year);
      month--;
    }
    if (month < 0) {
      month += 12;
      year--;
    }
    return [year, month, day, hour, min, sec];
  },
});
