// The image names a request writes: the tags dockerd will create or move to another image when
// it runs. Read as dockerd 20.10 reads them (httputils.RepoTagReference and the build's `t`):
// the first `repo` and `tag` of the query, a repo without a tag gets "latest", and a `tag`
// given beside a repo that carries its own replaces it.
import { hasTag } from './image-name.js';
import type { RoutedRequest } from './request.js';

/** The `repo:tag` names the request makes point at an image (empty: it names none). */
export function writtenImageTags(routed: RoutedRequest): string[] {
  const { query, queryAll } = routed.apiPath;
  switch (routed.route.action) {
    case 'image.tag':
    case 'container.commit':
    case 'image.import':
      return query.repo ? [repoTag(query.repo, query.tag ?? '')] : [];
    case 'image.build':
      return (queryAll.t ?? []).filter((t) => t !== '').map((t) => repoTag(t, ''));
    default:
      return [];
  }
}

/** `repo` with `tag` in place of its own tag, or with "latest" when it has none. */
function repoTag(repo: string, tag: string): string {
  if (repo.includes('@')) return repo; // a digest reference: dockerd refuses to write it
  const tagged = hasTag(repo);
  if (tag !== '') return `${tagged ? repo.slice(0, repo.lastIndexOf(':')) : repo}:${tag}`;
  return tagged ? repo : `${repo}:latest`;
}
