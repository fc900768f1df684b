# Container create bodies, allowlisted: every field a non-admin sets must be one the pack knows
# (and so judges, here or in another rule), and fields whose values reach past the container take
# only values the pack has judged. dockerd learns new fields with new releases; a field the pack
# has never seen is refused until it has been judged.

# METADATA
# title: >-
#   create fields only when dockgate knows them; runtime, isolation, cgroup, OOM score and mount
#   types by allowlist
# description: >-
#   Every field of a create body (Config, HostConfig, NetworkingConfig endpoints) against the fields
#   the pack judges; Runtime from [rules.host-config] runtimes, Isolation, Cgroup, OomScoreAdj not
#   negative, no Annotations, Mounts of type bind, volume or tmpfs, no endpoint DriverOpts.
# custom:
#   why: >-
#     dockerd gains fields with each release; a field the pack has never judged may reach the host
#     (another runtime, the host cgroup, network driver settings).
#   fix: >-
#     Remove the setting. An admin can create such containers, or allow a runtime in
#     [rules.host-config] runtimes.
#   order: 14
#   config:
#     enabled: true
#     runtimes: ["runc"]
package dockgate.rules.host_config

import rego.v1

import data.dockgate.lib

rules := lib.config.rules["host-config"]

# Config (the top level of a create body), Engine API up to 1.47.
config_fields := {
	"Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts",
	"Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes",
	"WorkingDir", "Entrypoint", "NetworkDisabled", "MacAddress", "OnBuild", "Labels", "StopSignal",
	"StopTimeout", "Shell", "HostConfig", "NetworkingConfig",
}

# HostConfig, Engine API up to 1.47: each is judged by a rule of the pack or changes nothing
# beyond the container (limits, names, the container's own files and network settings).
host_config_fields := {
	# judged by other rules
	"Binds", "Mounts", "VolumeDriver", "VolumesFrom", "NetworkMode", "PidMode", "IpcMode", "UTSMode",
	"UsernsMode", "CgroupnsMode", "Privileged", "CapAdd", "Devices", "DeviceCgroupRules",
	"DeviceRequests", "SecurityOpt", "MaskedPaths", "ReadonlyPaths", "Sysctls", "CgroupParent",
	"LogConfig", "PortBindings", "GroupAdd",
	# judged here
	"Runtime", "Isolation", "Cgroup", "OomScoreAdj", "Annotations",
	# the container's own settings
	"CapDrop", "ContainerIDFile", "AutoRemove", "RestartPolicy", "ConsoleSize", "Dns", "DnsOptions",
	"DnsSearch", "ExtraHosts", "Links", "PublishAllPorts", "ReadonlyRootfs", "ShmSize", "Tmpfs",
	"StorageOpt", "Init",
	# resource limits
	"CpuShares", "Memory", "NanoCpus", "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps",
	"BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota",
	"CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "KernelMemory",
	"KernelMemoryTCP", "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable",
	"PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
}

endpoint_fields := {
	"IPAMConfig", "Links", "Aliases", "MacAddress", "NetworkID", "EndpointID", "Gateway", "IPAddress",
	"IPPrefixLen", "IPv6Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "DNSNames", "DriverOpts",
}

hint := "remove the setting; an admin can create such containers"

unknown(fields, field, value) if {
	not field in fields
	lib.set(value)
}

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some field, value in lib.body
	unknown(config_fields, field, value)
	msg := sprintf("the create field %s is refused: dockgate does not know what it does", [field])
}

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some field, value in lib.host_config
	unknown(host_config_fields, field, value)
	msg := sprintf("HostConfig.%s is refused: dockgate does not know what it does", [field])
}

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some network, endpoint in lib.body.NetworkingConfig.EndpointsConfig
	some field, value in endpoint
	unknown(endpoint_fields - {"DriverOpts"}, field, value)
	msg := sprintf("NetworkingConfig.EndpointsConfig[%s].%s is refused: dockgate does not judge it (endpoint driver options reach the host's network setup)", [network, field])
}

runtimes contains "" if true

runtimes contains r if some r in rules.runtimes

# Values judged here. Each names the values a non-admin may give; the empty value is the default.
value_rules := {
	"Runtime": {"flag": "--runtime", "allowed": runtimes},
	"Isolation": {"flag": "--isolation", "allowed": {"", "default"}},
	"Cgroup": {"flag": "--cgroup", "allowed": {""}},
}

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some field, r in value_rules
	value := lib.host_config[field]
	not value in r.allowed
	msg := sprintf("%s %v is refused: only %v", [r.flag, value, sort([v | some v in r.allowed; v != ""])])
}

deny contains lib.violation(msg, "drop --oom-score-adj, or give a value of 0 or more") if {
	input.request.action == "container.create"
	score := lib.host_config.OomScoreAdj
	score < 0
	msg := sprintf("--oom-score-adj %v is refused: a negative score makes the kernel kill other users' processes first", [score])
}

deny contains lib.violation("HostConfig.Annotations is refused: annotations are read by the runtime on the host", hint) if {
	input.request.action == "container.create"
	lib.set(lib.host_config.Annotations)
}

# Mount types the pack judges; anything else (npipe, cluster, image, ...) is refused.
deny contains lib.violation(msg, "use --mount type=bind, volume or tmpfs") if {
	input.request.action == "container.create"
	some m in lib.host_config.Mounts
	not object.get(m, "Type", "") in {"bind", "volume", "tmpfs"}
	msg := sprintf("--mount type=%v is refused: only bind, volume and tmpfs mounts", [m.Type])
}

# A bind mount that creates its missing source does so as root, following the caller's symlinks.
deny contains lib.violation("--mount bind-create-mountpoint is refused: dockerd would create the host path as root", "create the directory yourself first") if {
	input.request.action == "container.create"
	some m in lib.host_config.Mounts
	m.BindOptions.CreateMountpoint == true
}
