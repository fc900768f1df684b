// OPA behaviours that real policy repositories depend on and that OPA's conformance cases do
// not exercise (each case there is one module with refs already resolved): packages split
// across files, the loader's document tree, parser positions, evaluation corners and
// `dockgate test` as `opa test`. Issue 16; each test is a reproduction from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, parseJSON, toJSON, type ModuleSource } from '../../src/rego/index.js';

function evalRef(mods: ModuleSource[] | string, ref: string, input?: string): string {
  const sources = typeof mods === 'string' ? [{ name: 'p.rego', text: mods }] : mods;
  const v = compile(sources).evalRef(ref, input === undefined ? undefined : parseJSON(input));
  return v === undefined ? 'undefined' : toJSON(v);
}

function query(text: string, q: string, input?: string): string {
  const rs = compile([{ name: 'p.rego', text }]).eval(q, { input: input === undefined ? undefined : parseJSON(input) });
  return JSON.stringify(rs.map((r) => Object.fromEntries([...r.bindings].map(([k, v]) => [k, JSON.parse(toJSON(v))]))));
}

// ---- 1. A package spread over several files -------------------------------------------------

test('a rule defined in another file of the same package is visible by its bare name', () => {
  const mods = [
    { name: 'policy.rego', text: 'package authz\n\nallow if input.user == "admin"\n' },
    { name: 'policy_test.rego', text: 'package authz\n\ntest_allow if allow with input as {"user": "admin"}\n' },
  ];
  assert.equal(evalRef(mods, 'data.authz.test_allow'), 'true');
});

test('a function defined in another file of the same package is callable by its bare name', () => {
  const mods = [
    { name: 'lib.rego', text: 'package k8s\n\nis_root(c) if c.securityContext.runAsUser == 0\n' },
    { name: 'lib_test.rego', text: 'package k8s\n\ntest_root if is_root({"securityContext": {"runAsUser": 0}})\ntest_not_root if not is_root({"securityContext": {"runAsUser": 1}})\n' },
  ];
  assert.equal(evalRef(mods, 'data.k8s.test_root'), 'true');
  assert.equal(evalRef(mods, 'data.k8s.test_not_root'), 'true');
});

test('partial set rules of one package in two files merge, and each file sees the union', () => {
  const mods = [
    { name: 'a.rego', text: 'package p\n\ndeny contains "a"\n' },
    { name: 'b.rego', text: 'package p\n\ndeny contains "b"\n' },
    { name: 'c.rego', text: 'package p\n\nn := count(deny)\n' },
  ];
  assert.equal(evalRef(mods, 'data.p.n'), '2');
});

test('another package does not see the rules of a package by bare name', () => {
  const mods = [
    { name: 'a.rego', text: 'package a\n\nallow := true\n' },
    { name: 'b.rego', text: 'package b\n\nx if allow\n' },
  ];
  assert.throws(() => compile(mods), /var allow is unsafe/);
});
