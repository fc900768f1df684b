import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writtenImageTags } from '../../src/docker/image-refs.js';
import { formBodyRefusal, routeRequest } from '../../src/docker/request.js';

const tags = (method: string, target: string) => writtenImageTags(routeRequest({ method, target }));

describe('the image tags a request writes, read as dockerd reads repo, tag and t', () => {
  test('a tag request names repo:tag, with latest when no tag is given', () => {
    assert.deepEqual(tags('POST', '/v1.41/images/bb/tag?repo=a&tag=v1'), ['a:v1']);
    assert.deepEqual(tags('POST', '/v1.41/images/bb/tag?repo=a'), ['a:latest']);
    assert.deepEqual(tags('POST', '/v1.41/images/bb/tag?repo=reg:5000/a'), ['reg:5000/a:latest']);
  });

  test("a tag parameter replaces the repo's own tag, and the first repo is the one read", () => {
    assert.deepEqual(tags('POST', '/v1.41/images/bb/tag?repo=a:x&tag=y'), ['a:y']);
    assert.deepEqual(tags('POST', '/v1.41/images/bb/tag?r%65po=a:x&repo=b'), ['a:x']);
  });

  test('commit and import write repo:tag; a commit without a repo writes no tag', () => {
    assert.deepEqual(tags('POST', '/v1.41/commit?container=c&repo=a&tag=t'), ['a:t']);
    assert.deepEqual(tags('POST', '/v1.41/commit?container=c'), []);
    assert.deepEqual(tags('POST', '/v1.41/images/create?fromSrc=-&repo=a'), ['a:latest']);
  });

  test('a build writes every t', () => {
    assert.deepEqual(tags('POST', '/v1.41/build?t=a&t=b:2&t='), ['a:latest', 'b:2']);
  });

  test('a pull writes no tag that tenancy checks', () => {
    assert.deepEqual(tags('POST', '/v1.41/images/create?fromImage=a&tag=v1'), []);
  });
});

describe('form-encoded bodies, which dockerd reads before the query, are refused', () => {
  test('on POST, PUT and PATCH, in any case and with parameters', () => {
    for (const method of ['POST', 'PUT', 'PATCH'])
      assert.equal(formBodyRefusal(method, 'application/x-www-form-urlencoded')?.status, 400);
    assert.equal(formBodyRefusal('POST', ' Application/X-WWW-Form-Urlencoded ; charset=utf-8')?.status, 400);
  });

  test('other media types and methods pass', () => {
    assert.equal(formBodyRefusal('POST', 'application/json'), undefined);
    assert.equal(formBodyRefusal('POST', undefined), undefined);
    assert.equal(formBodyRefusal('GET', 'application/x-www-form-urlencoded'), undefined);
    assert.equal(formBodyRefusal('POST', 'multipart/form-data; boundary=x'), undefined);
  });
});
