# Host paths: bind mounts (and volumes backed by a host device) outside the allowed roots,
# the Docker socket and dockerd's own data, and volumes of containers one does not own.

# METADATA
# title: bind mounts only under your home and the configured roots; never the Docker socket
# description: >-
#   Every BindMounts entry (Binds, bind Mounts, and volumes backed by a host device) by its Resolved
#   host path: symlinks followed and .. removed.
# custom:
#   why: A bind of /, /etc or the Docker socket hands the host to the container.
#   fix: >-
#     Use a named volume, or a directory under your home. An admin can add roots with [rules.mounts]
#     allow.
#   order: 7
#   config:
#     enabled: true
#     allow_home: true
#     allow: []
#     forbid:
#       - "/run/docker.sock"
#       - "/var/run/docker.sock"
#       - "/var/lib/docker"
#       - "/run/containerd"
#       - "/var/lib/containerd"
#       - "/proc"
#       - "/sys"
#       - "/dev"
#       - "/boot"
#       - "/etc"
package dockgate.rules.mounts

import rego.v1

import data.dockgate.lib

rules := lib.config.rules.mounts

# The caller's home directory, when the config allows it and the caller has one.
allowed_roots contains input.identity.home if {
	rules.allow_home
	is_string(input.identity.home)
	input.identity.home != ""
	input.identity.home != "/"
}

allowed_roots contains root if some root in rules.allow

# Paths that are never mounted, wherever the allowed roots lie.
forbidden contains p if some p in rules.forbid

forbidden contains p if some p in lib.config.daemon.sockets

forbidden contains p if {
	p := lib.config.daemon.data_root
	p != ""
}

# Every path under a root starts with the root's prefix (lib.under_prefix), so "is this path
# under any root" is one strings.any_prefix_match over these sets instead of one
# lib.path_under call per root. Both are computed once per decision.
allowed_prefixes := {lib.under_prefix(root) | some root in allowed_roots}

# forbidden and its prefixes depend on the config only (the engine keeps them across decisions).
forbidden_prefixes := {lib.under_prefix(p) | some p in forbidden}

allowed(path) if {
	is_string(path)
	path_allowed(path)
}

# Paths that are not strings keep the general definition (only an allowed "/" admits them).
allowed(path) if {
	not is_string(path)
	some root in allowed_roots
	lib.path_under(path, root)
}

path_allowed(path) if path in allowed_roots

path_allowed(path) if strings.any_prefix_match(path, allowed_prefixes)

mount_actions := {"container.create", "volume.create"}

deny contains lib.violation(msg, hint) if {
	mount_actions[input.request.action]
	some m in input.BindMounts
	not allowed(m.Resolved)
	msg := sprintf("mounting host path %s is refused%s: only your home directory and the configured roots may be mounted", [m.Source, resolved_note(m)])
	hint := "use a named volume (docker volume create) or a directory under your home"
}

deny contains lib.violation(msg, "this path is never mounted: it gives control of the host") if {
	mount_actions[input.request.action]
	some m in input.BindMounts
	may_touch(m.Resolved)
	some p in touched(m.Resolved)
	msg := sprintf("mounting host path %s is refused: it reaches %s", [m.Source, p])
}

# A cheap necessary condition for touches(path, p) with some forbidden p, so that the common
# mount (touching nothing) costs a few builtin calls; the exact pairs are enumerated after it.
may_touch(path) if not is_string(path)

may_touch(path) if path in forbidden

may_touch(path) if strings.any_prefix_match(path, forbidden_prefixes)

may_touch(path) if strings.any_prefix_match(forbidden, lib.under_prefix(path))

# The forbidden paths a mount touches. For a string path the prefix tests decide in
# comprehensions (no function call per forbidden path); other paths, and forbidden entries
# that are not strings, take touches() itself.
touched(path) := ((({p | some p in forbidden; p == path} | {p | some p, pfx in forbidden_prefix; startswith(path, pfx)}) | {p | some p in forbidden; startswith(p, under)}) | {p | some p in forbidden; not is_string(p); touches(path, p)}) if {
	is_string(path)
	under := lib.under_prefix(path)
}

else := {p | some p in forbidden; touches(path, p)}

# Each forbidden path with its lib.under_prefix (config only: kept across decisions).
forbidden_prefix := {p: lib.under_prefix(p) | some p in forbidden}

# A mount touches a forbidden path when it is that path, lies below it, or contains it.
touches(path, p) if lib.path_under(path, p)

touches(path, p) if lib.path_under(p, path)

resolved_note(m) := sprintf(" (it resolves to %s)", [m.Resolved]) if {
	m.Resolved != m.Source
	m.Resolved != ""
}

else := ""
