# Host paths: bind mounts (and volumes backed by a host device) outside the allowed roots,
# the Docker socket and dockerd's own data, and volumes of containers one does not own.
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

allowed(path) if {
	some root in allowed_roots
	lib.path_under(path, root)
}

mount_actions := {"container.create", "volume.create"}

deny contains lib.violation("mounts", msg, hint) if {
	mount_actions[input.request.action]
	lib.config.rules.mounts.enabled
	lib.applies
	some m in input.BindMounts
	not allowed(m.Resolved)
	msg := sprintf("mounting host path %s is refused%s: only your home directory and the configured roots may be mounted", [m.Source, resolved_note(m)])
	hint := "use a named volume (docker volume create) or a directory under your home"
}

deny contains lib.violation("mounts", msg, "the Docker socket and dockerd's data give full control of the host") if {
	mount_actions[input.request.action]
	lib.config.rules.mounts.enabled
	lib.applies
	some m in input.BindMounts
	some p in forbidden
	touches(m.Resolved, p)
	msg := sprintf("mounting host path %s is refused: it reaches %s", [m.Source, p])
}

# A mount touches a forbidden path when it is that path, lies below it, or contains it.
touches(path, p) if lib.path_under(path, p)

touches(path, p) if lib.path_under(p, path)

resolved_note(m) := sprintf(" (it resolves to %s)", [m.Resolved]) if {
	m.Resolved != m.Source
	m.Resolved != ""
}

else := ""
