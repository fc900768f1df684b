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
