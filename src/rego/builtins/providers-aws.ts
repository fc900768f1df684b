// providers.aws.sign_req (family B): AWS Signature Version 4 over a Rego request object, as
// OPA's topdown/providers.go and internal/providers/aws do it.
import { createHash, createHmac } from 'node:crypto';
import { BigNum, formatRego, isNumber, ObjectValue, SetValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { operandError, typeError } from './operands.js';
import { goJSON, utf8 } from './bytes.js';
import { HTTP_SEND_KEYS } from './core.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const NAME = 'providers.aws.sign_req';
const REQUIRED_CONFIG = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);
function str(v: Value | undefined): string {
  return typeof v === 'string' ? v : '';
}

function setText(keys: string[]): string {
  return formatRego(SetValue.from(keys));
}

function sha256hex(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

function hmac(key: Uint8Array | string, msg: string): Buffer {
  return createHmac('sha256', key).update(msg).digest();
}

/** Go's url.Parse, reduced to what signing needs: host, escaped path and raw query. */
function parseURL(u: string): { host: string; path: string; query: string } {
  let rest = u.split('#')[0]!;
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let host = '';
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(rest);
  if (m) rest = rest.slice(m[0].length);
  if (rest.startsWith('//')) {
    rest = rest.slice(2);
    const slash = rest.indexOf('/');
    const authority = slash >= 0 ? rest.slice(0, slash) : rest;
    rest = slash >= 0 ? rest.slice(slash) : '';
    host = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
  }
  return { host, path: rest, query };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

builtins.push({
  name: NAME,
  arity: 3,
  fn: ([reqV, cfgV, tsV]) => {
    if (!(reqV instanceof ObjectValue)) throw operandError(1, 'object', reqV!);
    if (!(cfgV instanceof ObjectValue)) throw operandError(1, 'object', cfgV!);
    const missing = REQUIRED_CONFIG.filter((k) => !cfgV.has(k));
    if (missing.length) throw typeError(`operand 2 missing required AWS config parameters(s): ${setText(missing)}`);
    const badCfg = REQUIRED_CONFIG.filter((k) => typeof cfgV.get(k) !== 'string');
    if (badCfg.length)
      throw typeError(`operand 2 invalid values for required AWS config parameters(s): ${setText(badCfg)}`);
    const service = str(cfgV.get('aws_service'));
    const accessKey = str(cfgV.get('aws_access_key'));
    const secretKey = str(cfgV.get('aws_secret_access_key'));
    const region = str(cfgV.get('aws_region'));
    const sessionToken = str(cfgV.get('aws_session_token'));

    if (!isNumber(tsV!)) throw operandError(1, 'number', tsV!);
    let ns: bigint;
    if (tsV instanceof BigNum) ns = tsV.n;
    else if (Number.isInteger(tsV) && tsV >= 0) ns = BigInt(tsV);
    else throw typeError('operand 3 could not convert time_ns value into a unix timestamp');

    const reqKeys = reqV.keys().map((k) => (typeof k === 'string' ? k : goJSON(k)));
    const missingReq = ['method', 'url'].filter((k) => !reqV.has(k));
    if (missingReq.length) throw typeError(`operand 1 missing required request parameters(s): ${setText(missingReq)}`);
    const invalidReq = reqKeys.filter((k) => !HTTP_SEND_KEYS.has(k));
    if (invalidReq.length) throw typeError(`operand 1 invalid request parameters(s): ${setText(invalidReq)}`);

    let headers = new ObjectValue();
    const hv = reqV.get('headers');
    if (hv !== undefined) {
      if (!(hv instanceof ObjectValue)) throw operandError(0, 'object', hv);
      headers = hv;
    }
    const badReq: string[] = [];
    if (typeof reqV.get('url') !== 'string') badReq.push('url');
    if (typeof reqV.get('method') !== 'string') badReq.push('method');
    if (badReq.length)
      throw typeError(`operand 1 invalid values for required request parameters(s): ${setText(badReq)}`);
    const url = parseURL(reqV.get('url') as string);
    const method = reqV.get('method') as string;

    const rawBody = reqV.get('raw_body');
    const bodyV = reqV.get('body');
    const body = rawBody !== undefined ? str(rawBody) : bodyV !== undefined ? goJSON(bodyV) : '';

    let disablePayloadSigning = false;
    const dps = cfgV.get('disable_payload_signing');
    if (dps !== undefined) {
      if (typeof dps !== 'boolean')
        throw typeError("operand 2 invalid value for 'disable_payload_signing' in AWS config");
      disablePayloadSigning = dps;
    }

    // Signing
    const bodyHash = disablePayloadSigning ? 'UNSIGNED-PAYLOAD' : sha256hex(utf8(body));
    const d = new Date(Number(ns / 1000000n));
    const dateNow = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
    const isoNow = `${dateNow}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
    const awsHeaders = new Map<string, string>([
      ['host', url.host],
      ['x-amz-date', isoNow],
    ]);
    if (service === 's3' || service === 'glacier') awsHeaders.set('x-amz-content-sha256', bodyHash);
    if (sessionToken !== '') awsHeaders.set('x-amz-security-token', sessionToken);
    const toSign = new Map<string, string>(awsHeaders);
    const original = new Map<string, string>();
    for (const [k, v] of headers.entries()) {
      const ks = str(k);
      original.set(ks, str(v));
      const lower = ks.toLowerCase();
      if (!IGNORED_HEADERS.has(lower)) toSign.set(lower, str(v));
    }
    const ordered = [...toSign.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let canonical = `${method}\n${url.path}\n${url.query}\n`;
    for (const k of ordered) canonical += `${k}:${toSign.get(k)}\n`;
    canonical += '\n';
    const headerList = ordered.join(';');
    canonical += headerList + '\n' + bodyHash;
    const scope = `${dateNow}/${region}/${service}/aws4_request`;
    const strToSign = `AWS4-HMAC-SHA256\n${isoNow}\n${scope}\n${sha256hex(canonical)}`;
    let key = hmac(utf8('AWS4' + secretKey), dateNow);
    key = hmac(key, region);
    key = hmac(key, service);
    key = hmac(key, 'aws4_request');
    const signature = hmac(key, strToSign).toString('hex');
    const auth = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope},SignedHeaders=${headerList},Signature=${signature}`;

    const signed = new ObjectValue();
    for (const [k, v] of original) signed.set(k, v);
    signed.set('Authorization', auth);
    for (const [k, v] of awsHeaders) signed.set(k, v);
    const out = reqV.clone();
    out.set('headers', signed);
    return out;
  },
});
