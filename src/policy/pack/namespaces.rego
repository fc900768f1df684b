# Host namespaces: sharing the host's pid, ipc, uts, user or network namespace.
package dockgate.rules.namespaces

import rego.v1

import data.dockgate.lib

modes := {
	"PidMode": "--pid",
	"IpcMode": "--ipc",
	"UTSMode": "--uts",
	"UsernsMode": "--userns",
	"NetworkMode": "--network",
	"CgroupnsMode": "--cgroupns",
}

deny contains lib.violation("host-namespaces", msg, hint) if {
	input.request.action == "container.create"
	lib.config.rules["host-namespaces"].enabled
	lib.applies
	some field, flag in modes
	lower(lib.host_config[field]) == "host"
	not field in {f | some f in lib.config.rules["host-namespaces"].allow}
	msg := sprintf("%s=host is refused: the container would share the host's %s namespace", [flag, lower(trim_suffix(field, "Mode"))])
	hint := sprintf("drop %s=host; the container gets its own namespace", [flag])
}

# The other values of these modes, by allowlist: the container's own namespace ("" is the
# daemon's default), no namespace, or another container's (judged by container-joins below).
own_namespace := {
	"PidMode": {""},
	"IpcMode": {"", "none", "private", "shareable"},
	"UTSMode": {""},
	"UsernsMode": {""},
	"CgroupnsMode": {"", "private"},
}

deny contains lib.violation("host-namespaces", msg, sprintf("drop %s", [modes[field]])) if {
	input.request.action == "container.create"
	lib.config.rules["host-namespaces"].enabled
	lib.applies
	some field, allowed in own_namespace
	value := lib.host_config[field]
	not value in allowed
	not lower(value) == "host"
	not startswith(value, "container:")
	msg := sprintf("%s=%v is refused: only the container's own namespace", [modes[field], value])
}

# Joining another container: its pid, ipc or network namespace (`--pid container:X`), or its
# volumes (`--volumes-from X`). Whatever that container was given comes along: host namespaces
# it shares, host paths it mounts, and the processes, traffic and files of another user. Without
# knowing whose container X is and what it holds, the join is refused.
join_hint := "run the programs that must share a namespace or volumes in one container, or use a named volume; an admin can allow joins with rules.container-joins.enabled = false"

# dockerd reads "container:X" with this exact prefix (any other spelling is no join). One rule per
# field: a field lookup and a prefix test are cheaper than enumerating the three fields.
join_msg(flag, mode, ns) := sprintf("%s=%s is refused: joining another container's %s namespace also joins whatever that container shares (the host's namespaces, another user's processes)", [flag, mode, ns])

deny contains lib.violation("container-joins", join_msg("--network", lib.host_config.NetworkMode, "network"), join_hint) if {
	input.request.action == "container.create"
	startswith(lib.host_config.NetworkMode, "container:")
	lib.config.rules["container-joins"].enabled
	lib.applies
}

deny contains lib.violation("container-joins", join_msg("--pid", lib.host_config.PidMode, "pid"), join_hint) if {
	input.request.action == "container.create"
	startswith(lib.host_config.PidMode, "container:")
	lib.config.rules["container-joins"].enabled
	lib.applies
}

deny contains lib.violation("container-joins", join_msg("--ipc", lib.host_config.IpcMode, "ipc"), join_hint) if {
	input.request.action == "container.create"
	startswith(lib.host_config.IpcMode, "container:")
	lib.config.rules["container-joins"].enabled
	lib.applies
}

deny contains lib.violation("container-joins", msg, join_hint) if {
	input.request.action == "container.create"
	some source in lib.host_config.VolumesFrom
	lib.config.rules["container-joins"].enabled
	lib.applies
	msg := sprintf("--volumes-from %v is refused: it mounts everything that container mounts, host paths included", [source])
}
