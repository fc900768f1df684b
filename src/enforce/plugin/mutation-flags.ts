// A plugin can only allow or refuse: where the policy would rewrite a create body (run as the
// caller, no-new-privileges, host binds as bind mounts, default limits), the plugin refuses and
// says which docker flags make the request one the policy takes as it is.

type Json = unknown;

const obj = (x: Json): x is Record<string, Json> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** The docker CLI flags that send `after` where `before` was sent (best effort; field paths otherwise). */
export function flagsForChange(before: Json, after: Json): string[] {
  const b = obj(before) ? before : {};
  const a = obj(after) ? after : {};
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  if (JSON.stringify(b.User) !== JSON.stringify(a.User) && typeof a.User === 'string') add(`--user ${a.User}`);
  const hb = obj(b.HostConfig) ? b.HostConfig : {};
  const ha = obj(a.HostConfig) ? a.HostConfig : {};
  const opts = (h: Record<string, Json>) => (Array.isArray(h.SecurityOpt) ? h.SecurityOpt.map(String) : []);
  for (const o of opts(ha)) if (!opts(hb).includes(o)) add(`--security-opt ${o}`);
  const mounts = (h: Record<string, Json>) => (Array.isArray(h.Mounts) ? h.Mounts : []);
  const known = new Set(mounts(hb).map((m) => JSON.stringify(m)));
  for (const m of mounts(ha)) {
    if (known.has(JSON.stringify(m)) || !obj(m)) continue;
    const parts = [`type=${m.Type}`];
    if (typeof m.Source === 'string' && m.Source !== '') parts.push(`source=${m.Source}`);
    parts.push(`target=${m.Target}`);
    if (m.ReadOnly === true) parts.push('readonly');
    if (obj(m.BindOptions) && typeof m.BindOptions.Propagation === 'string')
      parts.push(`bind-propagation=${m.BindOptions.Propagation}`);
    if (obj(m.VolumeOptions)) {
      const v = m.VolumeOptions;
      if (v.NoCopy === true) parts.push('volume-nocopy');
      if (obj(v.Labels)) for (const [k, l] of Object.entries(v.Labels)) parts.push(`volume-label=${k}=${l}`);
      if (obj(v.DriverConfig)) {
        if (typeof v.DriverConfig.Name === 'string' && v.DriverConfig.Name !== '')
          parts.push(`volume-driver=${v.DriverConfig.Name}`);
        if (obj(v.DriverConfig.Options))
          for (const [k, o] of Object.entries(v.DriverConfig.Options)) parts.push(`volume-opt=${k}=${o}`);
      }
    }
    add(`--mount ${parts.join(',')}`);
  }
  const binds = (h: Record<string, Json>) => (Array.isArray(h.Binds) ? h.Binds.map(String) : []);
  for (const v of binds(ha)) if (!binds(hb).includes(v)) add(`-v ${v}`);
  if (binds(hb).some((v) => !binds(ha).includes(v))) add('(no -v for host paths: use --mount type=bind)');
  // Other fields the policy sets (limits and the like): named by their body path.
  for (const k of Object.keys(ha)) {
    if (['SecurityOpt', 'Mounts', 'Binds'].includes(k)) continue;
    if (JSON.stringify(hb[k]) !== JSON.stringify(ha[k])) add(`HostConfig.${k}=${JSON.stringify(ha[k])}`);
  }
  const labels = (x: Record<string, Json>) => (obj(x.Labels) ? x.Labels : {});
  for (const [k, v] of Object.entries(labels(a)))
    if (labels(b)[k] !== v && typeof v === 'string') add(`--label ${k}=${v}`);
  for (const k of Object.keys(a)) {
    if (['User', 'HostConfig', 'Labels'].includes(k)) continue;
    if (JSON.stringify(b[k]) !== JSON.stringify(a[k])) add(`${k}=${JSON.stringify(a[k])}`);
  }
  return out;
}
