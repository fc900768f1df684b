// json.verify_schema / json.match_schema (family B): a compact JSON Schema (draft 4–7)
// validator producing gojsonschema's error texts, types and field paths as OPA returns them.
import { parseJSON } from '../json-parse.js';
import { BigNum, compare, equal, isNumber, ObjectValue, SetValue, toFloat, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError } from './operands.js';
import { goJSON } from './bytes.js';
import { re2Lib } from '../lazy.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

class SchemaError extends Error {}

const TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

function loadValue(v: Value): Value {
  if (typeof v === 'string') {
    try {
      JSON.parse(v);
    } catch {
      throw new SchemaError('invalid JSON string');
    }
    return normalize(parseJSON(v));
  }
  if (v instanceof ObjectValue || Array.isArray(v)) return normalize(v);
  throw new SchemaError('wrong type, expected string or object');
}

/** ast.JSON: sets become arrays, keys become strings. */
function normalize(v: Value): Value {
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof SetValue) return v.sorted().map(normalize);
  if (v instanceof ObjectValue) {
    const o = new ObjectValue();
    for (const [k, x] of v.entries()) o.set(typeof k === 'string' ? k : goJSON(k), normalize(x));
    return o;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Schema checking (the subset of gojsonschema's compile-time errors a schema most often hits)

function checkSchema(s: Value, path: string): void {
  if (typeof s === 'boolean') return;
  if (!(s instanceof ObjectValue)) throw new SchemaError(`Invalid type. Expected: object, given: ${jsonType(s)}`);
  const t = s.get('type');
  if (t !== undefined) {
    const list = Array.isArray(t) ? t : [t];
    if (typeof t !== 'string' && !Array.isArray(t))
      throw new SchemaError(`Invalid type. Expected: string/array of strings, given: type`);
    for (const x of list) {
      if (typeof x !== 'string') throw new SchemaError(`Invalid type. Expected: string, given: type`);
      if (!TYPES.includes(x)) {
        throw new SchemaError(
          `has a primitive type that is NOT VALID -- given: /${x}/ Expected valid values are:[${TYPES.join(' ')}]`,
        );
      }
    }
  }
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']) {
    const p = s.get(key);
    if (p instanceof ObjectValue)
      for (const [k, sub] of p.entries())
        if (!(key === 'dependencies' && Array.isArray(sub))) checkSchema(sub, `${path}/${key}/${String(k)}`);
  }
  for (const key of [
    'items',
    'additionalItems',
    'additionalProperties',
    'not',
    'contains',
    'propertyNames',
    'if',
    'then',
    'else',
  ]) {
    const p = s.get(key);
    if (p === undefined) continue;
    if (Array.isArray(p)) for (let i = 0; i < p.length; i++) checkSchema(p[i]!, `${path}/${key}/${i}`);
    else checkSchema(p, `${path}/${key}`);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const p = s.get(key);
    if (p === undefined) continue;
    if (!Array.isArray(p)) throw new SchemaError(`${key} must be of an array`);
    for (let i = 0; i < p.length; i++) checkSchema(p[i]!, `${path}/${key}/${i}`);
  }
  const req = s.get('required');
  if (req !== undefined && !Array.isArray(req)) throw new SchemaError('required must be of an array');
  const pat = s.get('pattern');
  if (pat !== undefined) {
    if (typeof pat !== 'string') throw new SchemaError('pattern must be of a string');
    try {
      re2Lib().compile(pat);
    } catch {
      throw new SchemaError(`Invalid regex pattern '${pat}'`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

interface VError {
  type: string;
  field: string;
  desc: string;
}

function jsonType(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (isNumber(v)) return isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function isInteger(v: number | BigNum): boolean {
  return v instanceof BigNum || Number.isInteger(v);
}

function fieldName(path: string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

function fmtNum(v: Value): string {
  return isNumber(v) ? String(toFloat(v)) : goJSON(v);
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

class Validator {
  constructor(private readonly root: Value) {}

  resolve(ref: string): Value {
    if (ref === '#' || ref === '') return this.root;
    if (!ref.startsWith('#/')) throw new SchemaError(`Unsupported $ref: ${ref}`);
    let cur: Value | undefined = this.root;
    for (const raw of ref.slice(2).split('/')) {
      const seg = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
      if (cur instanceof ObjectValue) cur = cur.get(seg);
      else if (Array.isArray(cur)) cur = cur[Number(seg)];
      else cur = undefined;
      if (cur === undefined) throw new SchemaError(`Object has no key '${seg}'`);
    }
    return cur;
  }

  validate(s: Value, v: Value, path: string[], errs: VError[]): void {
    if (s === true) return;
    if (s === false) {
      errs.push({ type: 'false', field: fieldName(path), desc: 'False always fails validation' });
      return;
    }
    if (!(s instanceof ObjectValue)) return;
    const ref = s.get('$ref');
    if (typeof ref === 'string') {
      this.validate(this.resolve(ref), v, path, errs);
      return;
    }
    const field = fieldName(path);
    const t = s.get('type');
    if (t !== undefined) {
      const list = (Array.isArray(t) ? t : [t]) as string[];
      const jt = jsonType(v);
      const ok = list.some(
        (x) =>
          x === jt ||
          (x === 'number' && jt === 'integer') ||
          (x === 'integer' && isNumber(v) && Number.isInteger(toFloat(v))),
      );
      if (!ok) {
        errs.push({ type: 'invalid_type', field, desc: `Invalid type. Expected: ${list.join('/')}, given: ${jt}` });
        return;
      }
    }
    const en = s.get('enum');
    if (Array.isArray(en) && !en.some((x) => equal(x, v))) {
      errs.push({
        type: 'enum',
        field,
        desc: `${field} must be one of the following: ${en.map((x) => goJSON(x)).join(', ')}`,
      });
    }
    const cn = s.get('const');
    if (cn !== undefined && !equal(cn, v))
      errs.push({ type: 'const', field, desc: `${field} does not match: ${goJSON(cn)}` });

    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = s.get(key);
      if (!Array.isArray(list)) continue;
      const results = list.map((sub) => {
        const e: VError[] = [];
        this.validate(sub, v, path, e);
        return e;
      });
      const okCount = results.filter((e) => e.length === 0).length;
      if (key === 'allOf' && okCount !== list.length) {
        errs.push({ type: 'number_all_of', field, desc: 'Must validate all the schemas (allOf)' });
        for (const e of results) errs.push(...e);
      } else if (key === 'anyOf' && okCount === 0) {
        errs.push({ type: 'number_any_of', field, desc: 'Must validate at least one schema (anyOf)' });
        errs.push(...(results[0] ?? []));
      } else if (key === 'oneOf' && okCount !== 1) {
        errs.push({ type: 'number_one_of', field, desc: 'Must validate one and only one schema (oneOf)' });
        if (okCount === 0) errs.push(...(results[0] ?? []));
      }
    }
    const not = s.get('not');
    if (not !== undefined) {
      const e: VError[] = [];
      this.validate(not, v, path, e);
      if (e.length === 0) errs.push({ type: 'number_not', field, desc: 'Must not validate the schema (not)' });
    }
    const ifS = s.get('if');
    if (ifS !== undefined) {
      const e: VError[] = [];
      this.validate(ifS, v, path, e);
      const branch = e.length === 0 ? s.get('then') : s.get('else');
      if (branch !== undefined) {
        const be: VError[] = [];
        this.validate(branch, v, path, be);
        if (be.length > 0) {
          errs.push(
            e.length === 0
              ? { type: 'condition_then', field, desc: 'Must validate "then" as "if" was valid' }
              : { type: 'condition_else', field, desc: 'Must validate "else" as "if" was not valid' },
          );
          errs.push(...be);
        }
      }
    }

    if (typeof v === 'string') this.validateString(s, v, field, errs);
    else if (isNumber(v)) this.validateNumber(s, v, field, errs);
    else if (Array.isArray(v)) this.validateArray(s, v, path, errs);
    else if (v instanceof ObjectValue) this.validateObject(s, v, path, errs);
  }

  validateString(s: ObjectValue, v: string, field: string, errs: VError[]): void {
    const min = s.get('minLength');
    const max = s.get('maxLength');
    const len = runeLength(v);
    if (isNumber(min) && len < toFloat(min))
      errs.push({ type: 'string_gte', field, desc: `String length must be greater than or equal to ${fmtNum(min)}` });
    if (isNumber(max) && len > toFloat(max))
      errs.push({ type: 'string_lte', field, desc: `String length must be less than or equal to ${fmtNum(max)}` });
    const pat = s.get('pattern');
    if (typeof pat === 'string' && !re2Lib().compile(pat).matcher(v).find()) {
      errs.push({ type: 'pattern', field, desc: `Does not match pattern '${pat}'` });
    }
  }

  validateNumber(s: ObjectValue, v: number | BigNum, field: string, errs: VError[]): void {
    const x = toFloat(v);
    const mo = s.get('multipleOf');
    if (isNumber(mo)) {
      const q = x / toFloat(mo);
      if (!Number.isInteger(q) && Math.abs(q - Math.round(q)) > 1e-9)
        errs.push({ type: 'multiple_of', field, desc: `Must be a multiple of ${fmtNum(mo)}` });
    }
    const min = s.get('minimum');
    const exMin = s.get('exclusiveMinimum');
    if (isNumber(min)) {
      if (exMin === true ? x <= toFloat(min) : x < toFloat(min)) {
        errs.push(
          exMin === true
            ? { type: 'number_gt', field, desc: `Must be greater than ${fmtNum(min)}` }
            : { type: 'number_gte', field, desc: `Must be greater than or equal to ${fmtNum(min)}` },
        );
      }
    }
    if (isNumber(exMin) && x <= toFloat(exMin))
      errs.push({ type: 'number_gt', field, desc: `Must be greater than ${fmtNum(exMin)}` });
    const max = s.get('maximum');
    const exMax = s.get('exclusiveMaximum');
    if (isNumber(max)) {
      if (exMax === true ? x >= toFloat(max) : x > toFloat(max)) {
        errs.push(
          exMax === true
            ? { type: 'number_lt', field, desc: `Must be less than ${fmtNum(max)}` }
            : { type: 'number_lte', field, desc: `Must be less than or equal to ${fmtNum(max)}` },
        );
      }
    }
    if (isNumber(exMax) && x >= toFloat(exMax))
      errs.push({ type: 'number_lt', field, desc: `Must be less than ${fmtNum(exMax)}` });
  }

  validateArray(s: ObjectValue, v: Value[], path: string[], errs: VError[]): void {
    const field = fieldName(path);
    const min = s.get('minItems');
    const max = s.get('maxItems');
    if (isNumber(min) && v.length < toFloat(min))
      errs.push({ type: 'array_min_items', field, desc: `Array must have at least ${fmtNum(min)} items` });
    if (isNumber(max) && v.length > toFloat(max))
      errs.push({ type: 'array_max_items', field, desc: `Array must have at most ${fmtNum(max)} items` });
    if (s.get('uniqueItems') === true) {
      outer: for (let i = 0; i < v.length; i++) {
        for (let j = i + 1; j < v.length; j++) {
          if (equal(v[i]!, v[j]!)) {
            errs.push({ type: 'unique', field, desc: `array items[${i},${j}] must be unique` });
            break outer;
          }
        }
      }
    }
    const items = s.get('items');
    if (Array.isArray(items)) {
      v.forEach((x, i) => {
        if (i < items.length) this.validate(items[i]!, x, [...path, String(i)], errs);
      });
      const add = s.get('additionalItems');
      if (v.length > items.length) {
        if (add === false)
          errs.push({ type: 'array_no_additional_items', field, desc: 'No additional items allowed on array' });
        else if (add instanceof ObjectValue)
          for (let i = items.length; i < v.length; i++) this.validate(add, v[i]!, [...path, String(i)], errs);
      }
    } else if (items !== undefined) {
      for (let i = 0; i < v.length; i++) this.validate(items, v[i]!, [...path, String(i)], errs);
    }
    const contains = s.get('contains');
    if (contains !== undefined) {
      const ok = v.some((x) => {
        const e: VError[] = [];
        this.validate(contains, x, path, e);
        return e.length === 0;
      });
      if (!ok) errs.push({ type: 'contains', field, desc: 'At least one of the items must match' });
    }
  }

  validateObject(s: ObjectValue, v: ObjectValue, path: string[], errs: VError[]): void {
    const field = fieldName(path);
    const min = s.get('minProperties');
    const max = s.get('maxProperties');
    if (isNumber(min) && v.size < toFloat(min))
      errs.push({ type: 'array_min_properties', field, desc: `Must have at least ${fmtNum(min)} properties` });
    if (isNumber(max) && v.size > toFloat(max))
      errs.push({ type: 'array_max_properties', field, desc: `Must have at most ${fmtNum(max)} properties` });
    const req = s.get('required');
    if (Array.isArray(req)) {
      for (const r of req) {
        if (typeof r === 'string' && !v.has(r))
          errs.push({ type: 'required', field: path.length === 0 ? r : `${field}.${r}`, desc: `${r} is required` });
      }
    }
    const props = s.get('properties');
    const pprops = s.get('patternProperties');
    const addl = s.get('additionalProperties');
    for (const [k, x] of v.entries()) {
      const key = k as string;
      let matched = false;
      const ps = props instanceof ObjectValue ? props.get(key) : undefined;
      if (ps !== undefined) {
        matched = true;
        this.validate(ps, x, [...path, key], errs);
      }
      if (pprops instanceof ObjectValue) {
        for (const [pat, sub] of pprops.entries()) {
          if (
            re2Lib()
              .compile(pat as string)
              .matcher(key)
              .find()
          ) {
            matched = true;
            this.validate(sub, x, [...path, key], errs);
          }
        }
      }
      if (!matched && addl !== undefined) {
        if (addl === false)
          errs.push({
            type: 'additional_property_not_allowed',
            field,
            desc: `Additional property ${key} is not allowed`,
          });
        else this.validate(addl, x, [...path, key], errs);
      }
    }
    const deps = s.get('dependencies');
    if (deps instanceof ObjectValue) {
      for (const [k, d] of deps.entries()) {
        if (!v.has(k)) continue;
        if (Array.isArray(d)) {
          for (const r of d)
            if (!v.has(r)) errs.push({ type: 'missing_dependency', field, desc: `Has a dependency on ${r as string}` });
        } else this.validate(d, v, path, errs);
      }
    }
    const pn = s.get('propertyNames');
    if (pn !== undefined) {
      for (const k of v.keys()) {
        const e: VError[] = [];
        this.validate(pn, k, path, e);
        if (e.length > 0)
          errs.push({ type: 'invalid_property_name', field, desc: `Property name of "${k as string}" does not match` });
      }
    }
  }
}

function compileSchema(v: Value): { schema: Value; validator: Validator } {
  const schema = loadValue(v);
  checkSchema(schema, '');
  return { schema, validator: new Validator(schema) };
}

builtins.push({
  name: 'json.verify_schema',
  arity: 1,
  fn: ([s]) => {
    try {
      compileSchema(s!);
      return [true, null];
    } catch (e) {
      if (e instanceof SchemaError) return [false, 'jsonschema: ' + e.message];
      throw e;
    }
  },
});

builtins.push({
  name: 'json.match_schema',
  arity: 2,
  fn: ([doc, s]) => {
    try {
      const d = loadValue(doc!);
      const { schema, validator } = compileSchema(s!);
      const errs: VError[] = [];
      validator.validate(schema, d, [], errs);
      const arr = errs.map((e) =>
        ObjectValue.fromRecord({ error: `${e.field}: ${e.desc}`, type: e.type, field: e.field, desc: e.desc }),
      );
      return [errs.length === 0, arr];
    } catch (e) {
      if (e instanceof SchemaError) throw builtinError(e.message);
      throw e;
    }
  },
});

void compare;
