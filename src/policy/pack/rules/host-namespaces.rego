# Host namespaces: sharing the host's pid, ipc, uts, user, cgroup or network namespace.

# METADATA
# title: no host pid, ipc, uts, user, cgroup or network namespace
# description: >-
#   HostConfig.PidMode, IpcMode, UTSMode, UsernsMode, CgroupnsMode and NetworkMode equal to "host"
#   in any case, and any other value of them but the container's own namespace.
# custom:
#   why: >-
#     Sharing the host pid namespace lets the container see and signal host processes (and read
#     their memory with ptrace); the network namespace exposes host-only services; userns=host turns
#     off user-namespace remapping.
#   fix: >-
#     Drop --pid/--ipc/--uts/--userns/--network=host. Publish ports with -p instead of host
#     networking.
#   order: 2
#   config:
#     enabled: true
#     allow: []
package dockgate.rules.host_namespaces

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

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some field, flag in modes
	lower(lib.host_config[field]) == "host"
	not field in {f | some f in lib.config.rules["host-namespaces"].allow}
	msg := sprintf("%s=host is refused: the container would share the host's %s namespace", [flag, lower(trim_suffix(field, "Mode"))])
	hint := sprintf("drop %s=host; the container gets its own namespace", [flag])
}

# The other values of these modes, by allowlist: the container's own namespace ("" is the
# daemon's default), no namespace, or another container's (judged by the container-joins rule).
own_namespace := {
	"PidMode": {""},
	"IpcMode": {"", "none", "private", "shareable"},
	"UTSMode": {""},
	"UsernsMode": {""},
	"CgroupnsMode": {"", "private"},
}

deny contains lib.violation(msg, sprintf("drop %s", [modes[field]])) if {
	input.request.action == "container.create"
	some field, allowed in own_namespace
	value := lib.host_config[field]
	not value in allowed
	not lower(value) == "host"
	not startswith(value, "container:")
	msg := sprintf("%s=%v is refused: only the container's own namespace", [modes[field], value])
}
