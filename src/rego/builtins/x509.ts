// crypto.x509.* and crypto.parse_private_keys (family B). Certificates are parsed with a small
// DER reader into the JSON shape Go's x509.Certificate marshals to (the fields policies use),
// signatures and chains are checked with node:crypto.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { BigNum, intValue, ObjectValue, SetValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, str as expectString, operandError } from './operands.js';
import { b64decode, Base64Error, fromUtf8, utf8, b64encode } from './bytes.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

// ---------------------------------------------------------------------------------------------
// DER

interface TLV {
  tag: number; // low tag number
  cls: number; // 0 universal, 1 application, 2 context, 3 private
  cons: boolean;
  start: number; // content start
  end: number; // content end
  hdr: number; // header start
}

class ASN1Error extends Error {}

function readTLV(b: Uint8Array, off: number, limit = b.length): TLV {
  if (off + 2 > limit) throw new ASN1Error('asn1: syntax error: data truncated');
  const first = b[off]!;
  let tag = first & 0x1f;
  let p = off + 1;
  if (tag === 0x1f) {
    tag = 0;
    while (p < limit) {
      const x = b[p++]!;
      tag = tag * 128 + (x & 0x7f);
      if (!(x & 0x80)) break;
    }
  }
  let len = b[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new ASN1Error('asn1: syntax error: indefinite or too long length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  if (p + len > limit) throw new ASN1Error('asn1: syntax error: data truncated');
  return { tag, cls: first >> 6, cons: (first & 0x20) !== 0, start: p, end: p + len, hdr: off };
}

function children(b: Uint8Array, t: TLV): TLV[] {
  const out: TLV[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = readTLV(b, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oidOf(b: Uint8Array, t: TLV): number[] {
  const out: number[] = [];
  let v = 0;
  for (let p = t.start; p < t.end; p++) {
    v = v * 128 + (b[p]! & 0x7f);
    if (!(b[p]! & 0x80)) {
      if (out.length === 0) out.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else out.push(v);
      v = 0;
    }
  }
  return out;
}

function bigIntOf(b: Uint8Array, t: TLV): bigint {
  let n = 0n;
  for (let p = t.start; p < t.end; p++) n = (n << 8n) | BigInt(b[p]!);
  if (t.end > t.start && b[t.start]! & 0x80) n -= 1n << BigInt(8 * (t.end - t.start));
  return n;
}

function stringOf(b: Uint8Array, t: TLV): string {
  const bytes = b.subarray(t.start, t.end);
  if (t.tag === 30) {
    // BMPString (UTF-16BE)
    let s = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return s;
  }
  return fromUtf8(bytes);
}

function timeOf(b: Uint8Array, t: TLV): string {
  const s = fromUtf8(b.subarray(t.start, t.end));
  // UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ
  let year: number;
  let rest: string;
  if (t.tag === 23) {
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else {
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  }
  const [mo, d, h, mi, se] = [0, 2, 4, 6, 8].map((i) => rest.slice(i, i + 2));
  return `${String(year).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${se}Z`;
}

// ---------------------------------------------------------------------------------------------
// pkix.Name

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

function nameOf(b: Uint8Array, t: TLV): ObjectValue {
  const fields: Record<string, Value[]> = {};
  let cn = '';
  let serial = '';
  const names: Value[] = [];
  for (const rdn of children(b, t)) {
    for (const atv of children(b, rdn)) {
      const [oidT, valT] = children(b, atv);
      if (!oidT || !valT) continue;
      const oid = oidOf(b, oidT);
      const key = oid.join('.');
      const val = stringOf(b, valT);
      names.push(ObjectValue.fromRecord({ Type: oid, Value: val }));
      if (key === '2.5.4.3') cn = val;
      else if (key === '2.5.4.5') serial = val;
      else if (NAME_FIELDS[key]) (fields[NAME_FIELDS[key]!] ??= []).push(val);
    }
  }
  const o = new ObjectValue();
  for (const f of [
    'Country',
    'Organization',
    'OrganizationalUnit',
    'Locality',
    'Province',
    'StreetAddress',
    'PostalCode',
  ])
    o.set(f, fields[f] ?? null);
  o.set('SerialNumber', serial);
  o.set('CommonName', cn);
  o.set('Names', names.length ? names : null);
  o.set('ExtraNames', null);
  return o;
}

function b64(b: Uint8Array): string {
  return b64encode(b);
}

interface SAN {
  dns: string[];
  email: string[];
  ip: string[];
  uri: string[];
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function parseSAN(b: Uint8Array, t: TLV): SAN {
  const san: SAN = { dns: [], email: [], ip: [], uri: [] };
  for (const g of children(b, t)) {
    const raw = b.subarray(g.start, g.end);
    if (g.tag === 2) san.dns.push(fromUtf8(raw));
    else if (g.tag === 1) san.email.push(fromUtf8(raw));
    else if (g.tag === 6) san.uri.push(fromUtf8(raw));
    else if (g.tag === 7) san.ip.push(ipText(raw));
  }
  return san;
}

const EKU: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
};

interface ParsedCert {
  der: Uint8Array;
  value: ObjectValue;
  eku: number[] | undefined;
  isCA: boolean;
}

function parseCertDER(der: Uint8Array): ParsedCert {
  const top = readTLV(der, 0);
  const [tbs, sigAlg, sig] = children(der, top);
  if (!tbs || !sigAlg || !sig) throw new ASN1Error('x509: malformed certificate');
  const parts = children(der, tbs);
  let i = 0;
  let version = 1;
  if (parts[0]!.cls === 2 && parts[0]!.tag === 0) {
    const v = children(der, parts[0]!)[0]!;
    version = Number(bigIntOf(der, v)) + 1;
    i++;
  }
  const serial = bigIntOf(der, parts[i++]!);
  i++; // signature algorithm
  const issuer = nameOf(der, parts[i++]!);
  const validity = children(der, parts[i++]!);
  const subject = nameOf(der, parts[i++]!);
  const spki = parts[i++]!;
  let san: SAN | undefined;
  let eku: number[] | undefined;
  let isCA = false;
  let bcValid = false;
  let maxPathLen = -1;
  let keyUsage = 0;
  let subjectKeyId: string | null = null;
  let authorityKeyId: string | null = null;
  const extensions: Value[] = [];
  for (; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.cls !== 2 || p.tag !== 3) continue;
    const seq = children(der, p)[0]!;
    for (const ext of children(der, seq)) {
      const ec = children(der, ext);
      const oid = oidOf(der, ec[0]!);
      const critical = ec.length === 3 && der[ec[1]!.start] !== 0;
      const octet = ec[ec.length - 1]!;
      extensions.push(
        ObjectValue.fromRecord({ Id: oid, Critical: critical, Value: b64(der.subarray(octet.start, octet.end)) }),
      );
      const inner = readTLV(der, octet.start, octet.end);
      switch (oid.join('.')) {
        case '2.5.29.17':
          san = parseSAN(der, inner);
          break;
        case '2.5.29.37':
          eku = children(der, inner).map((t) => EKU[oidOf(der, t).join('.')] ?? -1);
          break;
        case '2.5.29.19': {
          bcValid = true;
          for (const c of children(der, inner)) {
            if (c.tag === 1) isCA = der[c.start] !== 0;
            else if (c.tag === 2) maxPathLen = Number(bigIntOf(der, c));
          }
          break;
        }
        case '2.5.29.15': {
          const bits = der.subarray(inner.start + 1, inner.end);
          let ku = 0;
          for (let bi = 0; bi < 9; bi++) {
            const byte = bits[bi >> 3] ?? 0;
            if (byte & (0x80 >> (bi & 7))) ku |= 1 << bi;
          }
          keyUsage = ku;
          break;
        }
        case '2.5.29.14':
          subjectKeyId = b64(der.subarray(inner.start, inner.end));
          break;
        case '2.5.29.35':
          for (const c of children(der, inner))
            if (c.cls === 2 && c.tag === 0) authorityKeyId = b64(der.subarray(c.start, c.end));
          break;
      }
    }
  }
  const o = new ObjectValue();
  o.set('Raw', b64(der.subarray(top.hdr, top.end)));
  o.set('RawTBSCertificate', b64(der.subarray(tbs.hdr, tbs.end)));
  o.set('RawSubjectPublicKeyInfo', b64(der.subarray(spki.hdr, spki.end)));
  o.set('Signature', b64(der.subarray(sig.start + 1, sig.end)));
  o.set('Version', version);
  o.set('SerialNumber', intValue(serial));
  o.set('Issuer', issuer);
  o.set('Subject', subject);
  o.set('NotBefore', timeOf(der, validity[0]!));
  o.set('NotAfter', timeOf(der, validity[1]!));
  o.set('KeyUsage', keyUsage);
  o.set('Extensions', extensions.length ? extensions : null);
  o.set('ExtraExtensions', null);
  o.set('UnhandledCriticalExtensions', null);
  o.set('ExtKeyUsage', eku ?? null);
  o.set('UnknownExtKeyUsage', null);
  o.set('BasicConstraintsValid', bcValid);
  o.set('IsCA', isCA);
  o.set('MaxPathLen', bcValid ? maxPathLen : 0);
  o.set('MaxPathLenZero', maxPathLen === 0);
  o.set('SubjectKeyId', subjectKeyId);
  o.set('AuthorityKeyId', authorityKeyId);
  o.set('DNSNames', san?.dns.length ? san.dns : null);
  o.set('EmailAddresses', san?.email.length ? san.email : null);
  o.set('IPAddresses', san?.ip.length ? san.ip : null);
  o.set('URIs', san?.uri.length ? san.uri.map((u) => ObjectValue.fromRecord({ Scheme: u.split(':')[0] ?? '' })) : null);
  o.set('URIStrings', san?.uri.length ? san.uri : null);
  return { der: der.subarray(top.hdr, top.end), value: o, eku, isCA };
}

function parseCertificates(der: Uint8Array): ParsedCert[] {
  const out: ParsedCert[] = [];
  let off = 0;
  try {
    while (off < der.length) {
      const t = readTLV(der, off);
      out.push(parseCertDER(der.subarray(off, t.end)));
      off = t.end;
    }
  } catch {
    throw new ASN1Error('x509: malformed certificate');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PEM

interface PEMBlock {
  type: string;
  bytes: Uint8Array;
}

/** Decodes the PEM blocks in text (Go's pem.Decode in a loop; junk between blocks skipped). */
function pemBlocks(text: string): PEMBlock[] {
  const out: PEMBlock[] = [];
  const re = /-----BEGIN ([^-\r\n]*)-----\r?\n?([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2]!
      .split(/\r?\n/)
      .filter((l) => !l.includes(':'))
      .join('')
      .replace(/\s+/g, '');
    try {
      out.push({ type: m[1]!, bytes: b64decode(body) });
    } catch {
      /* not a valid block */
    }
  }
  return out;
}

function decodeB64(s: string): Uint8Array {
  try {
    return b64decode(s);
  } catch (e) {
    if (e instanceof Base64Error) throw builtinError(e.message);
    throw e;
  }
}

function certsFromString(s: string): ParsedCert[] {
  let der: Uint8Array;
  const fromPEM = (text: string): Uint8Array => {
    const blocks = pemBlocks(text);
    for (const b of blocks)
      if (b.type !== 'CERTIFICATE') throw builtinError(`PEM block type is '${b.type}', expected CERTIFICATE`);
    return Buffer.concat(blocks.map((b) => b.bytes));
  };
  if (s.startsWith('-----BEGIN')) der = fromPEM(s);
  else {
    const raw = decodeB64(s);
    der = fromUtf8(raw.subarray(0, 10)).startsWith('-----BEGIN') ? fromPEM(fromUtf8(raw)) : raw;
  }
  try {
    return parseCertificates(der);
  } catch (e) {
    if (e instanceof ASN1Error) throw builtinError(e.message);
    throw e;
  }
}

builtins.push({
  name: 'crypto.x509.parse_certificates',
  arity: 1,
  fn: ([s]) => certsFromString(expectString(1, s!)).map((c) => c.value),
});

function verifyChain(
  certs: ParsedCert[],
  nowMs: number,
  keyUsages: number[] = [1],
  dnsName = '',
): ParsedCert[] | undefined {
  if (certs.length < 2) return undefined;
  const x = certs.map((c) => new X509Certificate(Buffer.from(c.der)));
  const root = x[0]!;
  const leafIdx = certs.length - 1;
  const inValidity = (c: X509Certificate) => nowMs >= Date.parse(c.validFrom) && nowMs <= Date.parse(c.validTo);
  const leafEku = certs[leafIdx]!.eku;
  if (leafEku && !leafEku.includes(0) && !keyUsages.includes(0) && !keyUsages.some((u) => leafEku.includes(u)))
    return undefined;
  if (dnsName !== '' && !x[leafIdx]!.checkHost(dnsName)) return undefined;
  const chain: number[] = [leafIdx];
  let cur = leafIdx;
  const seen = new Set<number>([leafIdx]);
  while (true) {
    const c = x[cur]!;
    if (!inValidity(c)) return undefined;
    if (cur === 0) break;
    // issuer candidates: intermediates (1..n-2) and the root (0)
    let next = -1;
    for (let j = 0; j < leafIdx; j++) {
      if (seen.has(j)) continue;
      const cand = x[j]!;
      if (c.checkIssued(cand) && c.verify(cand.publicKey) && (certs[j]!.isCA || j === 0)) {
        next = j;
        if (j !== 0) break;
      }
    }
    if (next < 0) return undefined;
    chain.push(next);
    seen.add(next);
    cur = next;
  }
  void root;
  return chain.map((i) => certs[i]!);
}

builtins.push({
  name: 'crypto.x509.parse_and_verify_certificates',
  arity: 1,
  reads: 'clock',
  fn: ([s], ctx) => {
    const str = expectString(1, s!);
    let certs: ParsedCert[];
    try {
      certs = certsFromString(str);
    } catch {
      return [false, []];
    }
    let chain: ParsedCert[] | undefined;
    try {
      chain = verifyChain(certs, Number(ctx.nowNs / 1000000n));
    } catch {
      chain = undefined;
    }
    return chain ? [true, chain.map((c) => c.value)] : [false, []];
  },
});

const KEY_USAGES: Record<string, number> = {
  KeyUsageAny: 0,
  KeyUsageServerAuth: 1,
  KeyUsageClientAuth: 2,
  KeyUsageCodeSigning: 3,
  KeyUsageEmailProtection: 4,
  KeyUsageIPSECEndSystem: 5,
  KeyUsageIPSECTunnel: 6,
  KeyUsageIPSECUser: 7,
  KeyUsageTimeStamping: 8,
  KeyUsageOCSPSigning: 9,
  KeyUsageMicrosoftServerGatedCrypto: 10,
  KeyUsageNetscapeServerGatedCrypto: 11,
  KeyUsageMicrosoftCommercialCodeSigning: 12,
  KeyUsageMicrosoftKernelCodeSigning: 13,
};

builtins.push({
  name: 'crypto.x509.parse_and_verify_certificates_with_options',
  arity: 2,
  reads: 'clock',
  fn: ([s, o], ctx) => {
    const str = expectString(1, s!);
    if (!(o instanceof ObjectValue)) throw operandError(2, 'object', o!);
    let certs: ParsedCert[];
    try {
      certs = certsFromString(str);
    } catch {
      return [false, []];
    }
    let nowMs = Number(ctx.nowNs / 1000000n);
    let dns = '';
    let usages: number[] = [1];
    for (const [k, v] of o.entries()) {
      switch (k) {
        case 'DNSName':
          if (typeof v !== 'string') throw builtinError("'DNSName' should be a string");
          dns = v.replace(/^"+|"+$/g, '');
          break;
        case 'CurrentTime':
          if (typeof v !== 'number' && !(v instanceof BigNum)) throw builtinError("'CurrentTime' should be a number");
          nowMs = Number((v instanceof BigNum ? v.n : BigInt(Math.trunc(v))) / 1000000n);
          break;
        case 'MaxConstraintComparisons':
          if (typeof v !== 'number') throw builtinError("'MaxConstraintComparisons' should be a number");
          break;
        case 'KeyUsages': {
          const items = Array.isArray(v) ? v : v instanceof SetValue ? [...v.sorted()] : undefined;
          if (!items) throw builtinError("'KeyUsages' should be an Array or Set");
          const bad: string[] = [];
          usages = [];
          for (const u of items) {
            if (typeof u !== 'string') continue;
            const n = KEY_USAGES[u.replace(/^"+|"+$/g, '')];
            if (n === undefined) bad.push(u);
            else usages.push(n);
          }
          if (bad.length) throw builtinError(`invalid entries for 'KeyUsages' found: [${bad.join(' ')}]`);
          break;
        }
        default:
          if (typeof k === 'string') throw builtinError('invalid key option');
      }
    }
    let chain: ParsedCert[] | undefined;
    try {
      chain = verifyChain(certs, nowMs, usages, dns);
    } catch {
      chain = undefined;
    }
    return chain ? [true, chain.map((c) => c.value)] : [false, []];
  },
});

builtins.push({
  name: 'crypto.x509.parse_certificate_request',
  arity: 1,
  fn: ([s]) => {
    const str = expectString(1, s!);
    let bytes: Uint8Array = str.startsWith('-----BEGIN CERTIFICATE REQUEST-----') ? utf8(str) : decodeB64(str);
    const text = fromUtf8(bytes);
    if (text.startsWith('-----BEGIN')) {
      const blocks = pemBlocks(text);
      if (blocks[0]) {
        if (blocks[0].type !== 'CERTIFICATE REQUEST')
          throw builtinError('invalid PEM-encoded certificate signing request');
        bytes = blocks[0].bytes;
      }
    }
    try {
      const top = readTLV(bytes, 0);
      if (top.tag !== 16 || !top.cons) throw new ASN1Error('');
      const [info, , sig] = children(bytes, top);
      const parts = children(bytes, info!);
      const version = Number(bigIntOf(bytes, parts[0]!));
      const subject = nameOf(bytes, parts[1]!);
      const spki = parts[2]!;
      const o = new ObjectValue();
      o.set('Raw', b64(bytes.subarray(top.hdr, top.end)));
      o.set('RawTBSCertificateRequest', b64(bytes.subarray(info!.hdr, info!.end)));
      o.set('RawSubjectPublicKeyInfo', b64(bytes.subarray(spki.hdr, spki.end)));
      o.set('RawSubject', b64(bytes.subarray(parts[1]!.hdr, parts[1]!.end)));
      o.set('Version', version);
      o.set('Signature', sig ? b64(bytes.subarray(sig.start + 1, sig.end)) : null);
      o.set('Subject', subject);
      o.set('Attributes', null);
      o.set('Extensions', null);
      o.set('ExtraExtensions', null);
      o.set('DNSNames', null);
      o.set('EmailAddresses', null);
      o.set('IPAddresses', null);
      o.set('URIs', null);
      return o;
    } catch {
      throw builtinError("asn1: structure error: tags don't match");
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Private keys

function privateKeysFromPEM(text: string): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const b of pemBlocks(text)) {
    const der = Buffer.from(b.bytes);
    try {
      if (b.type === 'RSA PRIVATE KEY') keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }));
      else if (b.type === 'PRIVATE KEY') keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
      else if (b.type === 'EC PRIVATE KEY') keys.push(createPrivateKey({ key: der, format: 'der', type: 'sec1' }));
    } catch {
      throw builtinError(`x509: failed to parse private key`);
    }
  }
  return keys;
}

function b64urlToBig(s: string): bigint {
  return BigInt('0x' + (Buffer.from(s, 'base64url').toString('hex') || '0'));
}

/** Go's JSON of a crypto.PrivateKey (rsa/ecdsa/ed25519), as much as policies look at. */
function keyToGoJSON(k: KeyObject): Value {
  const jwk = k.export({ format: 'jwk' }) as Record<string, string>;
  if (jwk.kty === 'RSA') {
    return ObjectValue.fromRecord({
      N: intValue(b64urlToBig(jwk.n!)),
      E: intValue(b64urlToBig(jwk.e!)),
      D: intValue(b64urlToBig(jwk.d!)),
      Primes: [intValue(b64urlToBig(jwk.p!)), intValue(b64urlToBig(jwk.q!))],
      Precomputed: ObjectValue.fromRecord({
        Dp: intValue(b64urlToBig(jwk.dp!)),
        Dq: intValue(b64urlToBig(jwk.dq!)),
        Qinv: intValue(b64urlToBig(jwk.qi!)),
        CRTValues: [],
      }),
    });
  }
  if (jwk.kty === 'EC') {
    return ObjectValue.fromRecord({
      Curve: ObjectValue.fromRecord({}),
      X: intValue(b64urlToBig(jwk.x!)),
      Y: intValue(b64urlToBig(jwk.y!)),
      D: intValue(b64urlToBig(jwk.d!)),
    });
  }
  return b64encode(Buffer.concat([Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url')]));
}

builtins.push({
  name: 'crypto.parse_private_keys',
  arity: 1,
  fn: ([s]) => {
    let str = expectString(1, s!);
    if (str === '') return null;
    try {
      str = fromUtf8(b64decode(str));
    } catch {
      /* not base64: use as is */
    }
    return privateKeysFromPEM(str).map(keyToGoJSON);
  },
});

builtins.push({
  name: 'crypto.x509.parse_rsa_private_key',
  arity: 1,
  fn: ([s]) => {
    let str = expectString(1, s!);
    if (str === '') throw builtinError('input PEM data was empty');
    if (!str.startsWith('-----BEGIN')) str = fromUtf8(decodeB64(str));
    const keys = privateKeysFromPEM(str);
    if (keys.length === 0) return null;
    const jwk = keys[0]!.export({ format: 'jwk' }) as Record<string, string>;
    const o = new ObjectValue();
    for (const k of Object.keys(jwk)) o.set(k, jwk[k]!);
    return o;
  },
});

builtins.push({
  name: 'crypto.x509.parse_keypair',
  arity: 2,
  fn: ([c, k]) => {
    let cert = expectString(1, c!);
    let key = expectString(1, k!);
    if (!cert.startsWith('-----BEGIN ')) {
      const raw = decodeB64(cert);
      cert = fromUtf8(raw).startsWith('-----BEGIN ')
        ? fromUtf8(raw)
        : `-----BEGIN CERTIFICATE-----\n${b64encode(raw)}\n-----END CERTIFICATE-----\n`;
    }
    if (!key.startsWith('-----BEGIN ')) {
      const raw = decodeB64(key);
      key = fromUtf8(raw).startsWith('-----BEGIN')
        ? fromUtf8(raw)
        : `-----BEGIN PRIVATE KEY-----\n${b64encode(raw)}\n-----END PRIVATE KEY-----\n`;
    }
    const certBlocks = pemBlocks(cert).filter((b) => b.type === 'CERTIFICATE');
    if (certBlocks.length === 0) throw builtinError('tls: failed to find any PEM data in certificate input');
    const keys = pemBlocks(key).filter((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
    if (keys.length === 0) throw builtinError('tls: failed to find any PEM data in key input');
    const privs = privateKeysFromPEM(key);
    const priv = privs[0];
    if (!priv) throw builtinError('tls: failed to parse private key');
    let leaf: ParsedCert;
    try {
      leaf = parseCertDER(certBlocks[0]!.bytes);
    } catch {
      throw builtinError('x509: malformed certificate');
    }
    const pubFromCert = new X509Certificate(Buffer.from(certBlocks[0]!.bytes)).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    const pubFromKey = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    if (!Buffer.from(pubFromCert).equals(Buffer.from(pubFromKey)))
      throw builtinError('tls: private key does not match public key');
    return ObjectValue.fromRecord({
      Certificate: certBlocks.map((b) => b64encode(b.bytes)),
      PrivateKey: keyToGoJSON(priv),
      Leaf: leaf.value,
      OCSPStaple: null,
      SignedCertificateTimestamps: null,
      SupportedSignatureAlgorithms: null,
    });
  },
});
