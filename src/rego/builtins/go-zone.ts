// Go `time` compatibility, part 1: proleptic Gregorian civil dates and zones (IANA names via
// Intl, with Go-like abbreviations and a per-zone offset cache).

// ---------------------------------------------------------------------------------------------
// civil dates

export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [m <= 2 ? y + 1 : y, m, d];
}

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

export function daysIn(m: number, y: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

// ---------------------------------------------------------------------------------------------
// zones

export interface Zone {
  name: string; // "UTC", "Local", IANA name, or "" for a fixed offset
  fixed?: number; // fixed offset in seconds
}

export const UTC: Zone = { name: 'UTC', fixed: 0 };

const fmtCache = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string | undefined): Intl.DateTimeFormat {
  const key = tz ?? '';
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      timeZoneName: 'short',
    });
    fmtCache.set(key, f);
  }
  return f;
}

/** Loads a zone by name; throws Go's "unknown time zone X" error. */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') {
    formatter(undefined);
    return { name: 'Local' };
  }
  try {
    formatter(name);
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
  return { name };
}

/** Offset (seconds east of UTC) and abbreviation of a zone at a Unix second. */
export interface ZoneInfo {
  offset: number;
  abbr: string;
}

// A zone lookup through Intl is slow next to a map lookup, so results are cached per 15-minute
// bucket. A bucket is trusted only when its start and end agree (no transition inside it);
// otherwise the exact instant is looked up. Local is not cached (TZ may change at run time).
const BUCKET = 900;
const zoneCache = new Map<string, Map<number, ZoneInfo | null>>();

export function zoneAt(z: Zone, unixSec: number): ZoneInfo {
  if (z.fixed !== undefined) return { offset: z.fixed, abbr: z.name };
  if (z.name === 'Local') return zoneAtExact(z, unixSec);
  let m = zoneCache.get(z.name);
  if (!m) {
    m = new Map();
    zoneCache.set(z.name, m);
  } else if (m.size > 4096) m.clear();
  const b = Math.floor(unixSec / BUCKET);
  let info = m.get(b);
  if (info === undefined) {
    const start = zoneAtExact(z, b * BUCKET);
    const end = zoneAtExact(z, b * BUCKET + BUCKET - 1);
    info = start.offset === end.offset && start.abbr === end.abbr ? start : null;
    m.set(b, info);
  }
  return info ?? zoneAtExact(z, unixSec);
}

function zoneAtExact(z: Zone, unixSec: number): ZoneInfo {
  // Intl (JS Date) covers ±8.64e12 s; int64 ns times are well inside. Intermediate results of
  // date arithmetic beyond it take the offset at the nearest end (they fail the range check later).
  const LIMIT = 8.64e12 - 86400 * 2;
  if (unixSec > LIMIT) unixSec = LIMIT;
  else if (unixSec < -LIMIT) unixSec = -LIMIT;
  const ms = unixSec * 1000;
  const parts = formatter(z.name === 'Local' ? undefined : z.name).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  let y = parseInt(get('year'), 10);
  if (get('era') === 'BC' || get('era') === 'B') y = 1 - y;
  const local =
    daysFromCivil(y, parseInt(get('month'), 10), parseInt(get('day'), 10)) * 86400 +
    parseInt(get('hour'), 10) * 3600 +
    parseInt(get('minute'), 10) * 60 +
    parseInt(get('second'), 10);
  const offset = local - Math.floor(unixSec);
  return { offset, abbr: abbreviation(z.name, get('timeZoneName'), offset, ms) };
}

// tzdata abbreviations that en-US Intl data spells as "GMT+h" (zones without DST).
const ABBR: Record<string, string> = {
  'Asia/Kolkata': 'IST',
  'Asia/Calcutta': 'IST',
  'Asia/Shanghai': 'CST',
  'Asia/Taipei': 'CST',
  'Asia/Tokyo': 'JST',
  'Asia/Seoul': 'KST',
  'Asia/Hong_Kong': 'HKT',
  'Asia/Manila': 'PST',
  'Asia/Karachi': 'PKT',
  'Asia/Jakarta': 'WIB',
  'Europe/Moscow': 'MSK',
  'Africa/Johannesburg': 'SAST',
  'Africa/Lagos': 'WAT',
  'Africa/Nairobi': 'EAT',
  'Africa/Maputo': 'CAT',
};

// Zones whose tzdata names ICU only knows for recent decades, by UTC offset.
const AUS_EAST = { 36000: 'AEST', 39600: 'AEDT' };
const OFFSET_ABBR: Record<string, Record<number, string>> = {
  'Australia/Sydney': AUS_EAST,
  'Australia/Melbourne': AUS_EAST,
  'Australia/Hobart': AUS_EAST,
  'Australia/Canberra': AUS_EAST,
  'Australia/Brisbane': AUS_EAST,
  'Australia/Adelaide': { 34200: 'ACST', 37800: 'ACDT' },
  'Australia/Darwin': { 34200: 'ACST', 37800: 'ACDT' },
  'Australia/Perth': { 28800: 'AWST', 32400: 'AWDT' },
  'Pacific/Auckland': { 43200: 'NZST', 46800: 'NZDT' },
  'Europe/Dublin': { 0: 'GMT', 3600: 'IST' },
  'Asia/Jerusalem': { 7200: 'IST', 10800: 'IDT' },
  'Asia/Tel_Aviv': { 7200: 'IST', 10800: 'IDT' },
};

const regionalCache = new Map<string, Intl.DateTimeFormat>();

const REGIONAL: [string, string][] = [
  ['Europe/', 'en-GB'],
  ['Australia/', 'en-AU'],
];

/** Go's zone abbreviation (tzdata), approximated from Intl: names where ICU has them, else "+05"/"+0530". */
function abbreviation(zone: string, intl: string, offset: number, ms: number): string {
  if (/^[A-Za-z]+$/.test(intl) && intl !== 'GMT') return intl;
  if (intl === 'GMT' || (intl === 'UTC' && offset === 0)) return zone === 'UTC' ? 'UTC' : 'GMT';
  if (/^GMT[+-]\d+:\d\d:\d\d$/.test(intl)) return 'LMT';
  const fixed = ABBR[zone];
  if (fixed) return fixed;
  const byOffset = OFFSET_ABBR[zone];
  if (byOffset?.[offset]) return byOffset[offset]!;
  for (const [prefix, locale] of REGIONAL) {
    if (!zone.startsWith(prefix)) continue;
    try {
      const key = locale + ' ' + zone;
      let f = regionalCache.get(key);
      if (!f) {
        f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' });
        regionalCache.set(key, f);
      }
      const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
      if (name && /^[A-Za-z]+$/.test(name) && name !== 'GMT') return name;
    } catch {
      // fall through
    }
  }
  return numericAbbr(offset);
}

function numericAbbr(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + String(h).padStart(2, '0') + (m ? String(m).padStart(2, '0') : '');
}
