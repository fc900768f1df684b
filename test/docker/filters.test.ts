// Docker list filters read as dockerd reads them, and the owner filter tenancy adds: it must
// narrow whatever the client sent, in any spelling of the query.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiPath } from '../../src/docker/api-path.js';
import { parseFilters, withLabelFilter, withQueryParam } from '../../src/docker/filters.js';
import { Refusal } from '../../src/docker/refusal.js';

const filtersOf = (target: string) => parseFilters(parseApiPath(target).query.filters ?? '');
const labels = (target: string) => [...(filtersOf(target).get('label')?.keys() ?? [])].sort();

describe('parseFilters', () => {
  test('reads both spellings dockerd accepts: value maps and value lists', () => {
    assert.deepEqual([...parseFilters('{"label":{"a=1":true}}').get('label')!], [['a=1', true]]);
    assert.deepEqual([...parseFilters('{"label":["a=1","b"]}').get('label')!.keys()], ['a=1', 'b']);
    assert.equal(parseFilters('').size, 0);
    assert.equal(parseFilters('null').size, 0);
  });

  test('refuses what dockerd would read another way or refuse: duplicates, non-boolean flags, non-objects', () => {
    for (const text of ['{"label":["a"],"label":["b"]}', '{"label":{"a":"yes"}}', '[1]', '{"label":[1]}', '{']) {
      assert.throws(
        () => parseFilters(text),
        (e: unknown) => e instanceof Refusal && e.status === 400,
        text,
      );
    }
  });
});

describe('withLabelFilter', () => {
  test('adds the owner label to a target without filters and keeps the other parameters', () => {
    const t = withLabelFilter('/v1.41/containers/json?all=1', 'dockgate.owner=bob');
    assert.deepEqual(labels(t), ['dockgate.owner=bob']);
    assert.equal(parseApiPath(t).query.all, '1');
  });

  test("keeps the client's own label filters beside it (dockerd ANDs them, so nothing widens)", () => {
    const sent = `/containers/json?filters=${encodeURIComponent('{"label":{"dockgate.owner=alice":true},"status":["running"]}')}`;
    const t = withLabelFilter(sent, 'dockgate.owner=bob');
    assert.deepEqual(labels(t), ['dockgate.owner=alice', 'dockgate.owner=bob']);
    assert.deepEqual([...filtersOf(t).get('status')!.keys()], ['running']);
  });

  test('leaves one filters parameter, whatever spelling of the key the client repeated it under', () => {
    const other = encodeURIComponent('{"label":["x=1"]}');
    const t = withLabelFilter(`/containers/json?filters=${other}&%66ilters=${other}&filter%73=%7B%7D`, 'o=bob');
    const all = parseApiPath(t).queryAll.filters!;
    assert.equal(all.length, 1);
    assert.deepEqual(labels(t), ['o=bob', 'x=1']);
  });
});

describe('withQueryParam', () => {
  test('replaces every value of the key, in any percent-encoded spelling, and keeps the rest as sent', () => {
    const t = withQueryParam('/build?lab%65ls=%7B%7D&t=x&labels=1', 'labels', '{"o":"bob"}');
    assert.deepEqual(parseApiPath(t).queryAll.labels, ['{"o":"bob"}']);
    assert.equal(parseApiPath(t).query.t, 'x');
  });
});
