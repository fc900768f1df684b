# Drivers by name, from allowlists: dockerd finds a driver it does not know as a plugin socket
# /run/docker/plugins/NAME.sock without refusing "..", so a driver name can make dockerd call a
# server the caller runs. Names with "/" or ".." are refused even when configured.

# METADATA
# title: >-
#   volume, log, network and IPAM drivers only from allowlists; no network driver options or own
#   subnets
# description: >-
#   volume create Driver, HostConfig.VolumeDriver, --mount volume-driver, the drivers of existing
#   volumes mounted, LogConfig.Type, network create Driver, IPAM.Driver, Options and subnets (only
#   inside [rules.drivers] subnets); endpoint driver options on network connect; a name with / or ..
#   is always refused.
# custom:
#   why: >-
#     dockerd looks an unknown driver up as /run/docker/plugins/NAME.sock without refusing .., so a
#     driver name can make dockerd call a server you run and mount whatever it answers. Log drivers
#     with addresses can make dockerd write to any socket; bridge options can take over a host
#     interface, and a subnet more specific than a host route diverts the host's traffic to your
#     bridge.
#   fix: >-
#     Use the default drivers. An admin can allow more in [rules.drivers] volume, log, network and
#     ipam.
#   order: 12
#   config:
#     enabled: true
#     volume: ["local"]
#     log: ["json-file", "local", "journald", "none"]
#     network: ["bridge"]
#     ipam: ["default"]
#     subnets: []
package dockgate.rules.drivers

import rego.v1

import data.dockgate.lib

rules := lib.config.rules.drivers

allowed(kind, name) if {
	not contains(name, "/")
	not contains(name, "..")
	name in rules[kind]
}

# The daemon's default driver of each kind is asked for with an empty name.
allowed(_, "")

kinds := {"volume": "volume driver", "log": "log driver", "network": "network driver", "ipam": "IPAM driver"}

deny contains lib.violation(msg, hint) if {
	some pair in used
	[kind, name] := pair
	not allowed(kind, name)
	msg := sprintf("%s %q is refused: only %s may be used", [kinds[kind], name, concat(", ", rules[kind])])
	hint := sprintf("use the default driver; an admin can allow more in [rules.drivers] %s", [kind])
}

# Every driver a request names, as [kind, name] pairs (a name may appear in several places).
used contains ["volume", name] if {
	input.request.action == "volume.create"
	name := object.get(lib.body, "Driver", "")
}

used contains ["volume", name] if {
	input.request.action == "container.create"
	name := object.get(lib.host_config, "VolumeDriver", "")
}

used contains ["volume", name] if {
	input.request.action == "container.create"
	some m in lib.host_config.Mounts
	name := m.VolumeOptions.DriverConfig.Name
}

# Named volumes that exist already: the driver that serves them.
used contains ["volume", v.Driver] if {
	input.request.action == "container.create"
	some v in input.request.volumes
	v.Exists
}

used contains ["log", name] if {
	input.request.action == "container.create"
	name := lib.host_config.LogConfig.Type
}

used contains ["network", name] if {
	input.request.action == "network.create"
	name := object.get(lib.body, "Driver", "")
}

used contains ["ipam", name] if {
	input.request.action == "network.create"
	name := lib.body.IPAM.Driver
}

# Options of a new network, by allowlist: bridge options such as com.docker.network.bridge.name
# take over an existing host interface.
network_options := {
	"com.docker.network.driver.mtu", "com.docker.network.bridge.enable_icc",
	"com.docker.network.bridge.enable_ip_masquerade", "com.docker.network.bridge.host_binding_ipv4",
	"com.docker.network.container_iface_prefix",
}

deny contains lib.violation(msg, "create the network without driver options; an admin can create it") if {
	input.request.action == "network.create"
	some key, _ in object.union(object.get(lib.body, "Options", {}), object.get(lib.body, ["IPAM", "Options"], {}))
	not key in network_options
	msg := sprintf("network option %s is refused: it is not known to leave the host's network alone", [key])
}

deny contains lib.violation("ingress networks are refused: they are swarm's", "create a plain bridge network") if {
	input.request.action == "network.create"
	lib.body.Ingress == true
}

deny contains lib.violation("endpoint driver options on network connect are refused: they reach the host's network setup", "connect without --driver-opt") if {
	input.request.action == "network.connect"
	lib.set(object.get(lib.body, ["EndpointConfig", "DriverOpts"], null))
}

# Addresses of a new network: the kernel routes a subnet more specific than a host route to the
# new bridge, diverting the host's own traffic. dockerd picks a free subnet from its pools when
# none is given; a subnet given by a non-admin must lie inside a configured pool.
deny contains lib.violation(msg, "leave the subnet to dockerd (drop --subnet, --ip-range, --gateway, --aux-address); an admin can allow pools in [rules.drivers] subnets") if {
	input.request.action == "network.create"
	some config in lib.body.IPAM.Config
	some field in ["Subnet", "IPRange"]
	cidr := config[field]
	lib.set(cidr)
	not in_pool(cidr)
	msg := sprintf("network %s %v is refused: a subnet outside the configured pools can take over the host's routes", [lower(field), cidr])
}

in_pool(cidr) if {
	some pool in rules.subnets
	net.cidr_contains(pool, cidr)
}
