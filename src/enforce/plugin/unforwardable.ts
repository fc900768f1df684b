// Where tenancy has the proxy forward another target than the one sent, or answer a request
// itself, a plugin can only let the request go on as sent, and dockerd then answers it whole.
// A list would show every user's objects: the plugin lets it go on only when its own query
// already narrows it as the proxy would (the owner label filter, which dockerd ANDs with the
// rest), so a list the proxy filtered (`both` mode) passes, and refuses the rest naming the
// filter to send. An answer the proxy assembles from the daemon's full one (images shared with
// everybody, networks, disk usage, a network's containers) goes on only when the caller's own
// filter already limits it to their objects, or the network inspected is theirs.
import { type ApiPath, parseApiPath } from '../../docker/api-path.js';
import { parseFilters } from '../../docker/filters.js';
import type { RoutedRequest } from '../../docker/request.js';
import type { Verdict } from '../../policy/index.js';

/** What tenancy needs to know of the caller here. */
export interface ListCaller {
  ownerLabel: string;
  user: string;
}

/**
 * Why an allowed request cannot go on as sent (a message for dockerd's Msg), or undefined when
 * what dockerd will do with it is what the proxy would have done.
 */
export function unforwardable(routed: RoutedRequest, verdict: Verdict, caller: ListCaller): string | undefined {
  if (verdict.reply !== undefined) return unassembled(routed, verdict.reply.body, caller);
  if (verdict.target === undefined) return undefined;
  const { action, traits } = routed.route;
  if (traits.listing === 'filter') {
    const given = labelFilters(routed.apiPath);
    const missing = [...labelFilters(parseApiPath(verdict.target))].filter((l) => !given.has(l));
    if (missing.length === 0) return undefined;
    return `tenancy: dockerd would answer this with every user's objects, and a plugin cannot filter its answer: send it with ${missing.map((l) => `--filter label=${l}`).join(' ')} (or through dockgate serve)`;
  }
  if (action === 'container.commit' || action === 'image.import') {
    // The proxy appends a LABEL change, which dockerd applies last: the client's own last
    // change must be that one, else the image would carry no owner and be shared with everybody.
    const wanted = parseApiPath(verdict.target).queryAll.changes?.at(-1);
    if (wanted === undefined || routed.apiPath.queryAll.changes?.at(-1) === wanted) return undefined;
    return `tenancy: the image this makes must carry its owner label, and a plugin cannot add it: send --change '${wanted}' as the last change (or go through dockgate serve)`;
  }
  // A container or network named by name or prefix, which the proxy pins to the judged id: the
  // plugin cannot, and lets it go on as sent (docs/threat-model.md, left open).
  return undefined;
}

/** An answer the proxy assembles from the daemon's full one: whether the sent request already narrows it. */
function unassembled(routed: RoutedRequest, reply: unknown, caller: ListCaller): string | undefined {
  const own = `${caller.ownerLabel}=${caller.user}`;
  switch (routed.route.action) {
    case 'image.list':
    case 'network.list': {
      // Only the caller's own labelled objects: a subset of what the proxy would show.
      if (labelFilters(routed.apiPath).has(own)) return undefined;
      const what = routed.route.action === 'image.list' ? 'images' : 'networks';
      return `tenancy: dockerd would list every user's ${what}, and a plugin cannot filter its answer: send it with --filter label=${own} (your own ${what} only), or list through dockgate serve`;
    }
    case 'network.inspect': {
      // A network of the caller's own holds only their containers (no other ordinary user can
      // connect to it; an admin can); a predefined one holds everybody's, which the proxy hides.
      const labels = (reply as { Labels?: unknown } | null)?.Labels;
      const owner =
        labels !== null && typeof labels === 'object' ? (labels as Record<string, unknown>)[caller.ownerLabel] : null;
      if (owner === caller.user) return undefined;
      return "tenancy: this network's answer lists other users' containers, and a plugin cannot filter it: inspect it through dockgate serve";
    }
    default:
      return `tenancy: dockerd would answer this with every user's objects, and a plugin cannot filter its answer: send it through dockgate serve`;
  }
}

/** The `label` filter values of a query (as dockerd reads them). */
function labelFilters(apiPath: ApiPath): ReadonlySet<string> {
  const text = apiPath.query.filters;
  return new Set(text === undefined ? [] : (parseFilters(text).get('label')?.keys() ?? []));
}
