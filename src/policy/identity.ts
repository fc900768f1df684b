// Who the caller is, as the policy input shows it. The one place that decides who is an admin:
// the decision core (judge.ts), which every enforcement point asks, derives `admin` here from
// the config's [identity] admins and admin_groups.
import type { InputIdentity } from '../docker/input.js';
import { userById, type Identity } from '../tenancy/index.js';
import type { Config } from './config.js';

export function inputIdentity(id: Identity, config: Config): InputIdentity {
  const cfg = config.identity as { admins: string[]; admin_groups: string[] };
  const admin = cfg.admins.includes(id.user) || id.groups.some((g) => cfg.admin_groups.includes(g));
  const home = id.uid === null ? '' : (userById(id.uid)?.home ?? '');
  return { uid: id.uid, gid: id.gid, user: id.user, groups: id.groups, admin, pid: id.pid, home, via: id.via };
}
