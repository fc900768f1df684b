# Host devices, device cgroup rules and device requests.

# METADATA
# title: no host devices or device cgroup rules (GPU requests allowed)
# description: >-
#   HostConfig.Devices, DeviceCgroupRules and DeviceRequests (only GPU requests pass, when
#   allow_gpus).
# custom:
#   why: >-
#     A host device such as /dev/sda, /dev/mem or /dev/kmsg reaches the host directly; a device
#     cgroup rule opens all of them.
#   fix: >-
#     Remove --device and --device-cgroup-rule; use --gpus for GPUs. An admin can allow a device
#     path in [rules.devices] allow.
#   order: 5
#   config:
#     enabled: true
#     allow: []
#     allow_gpus: true
package dockgate.rules.devices

import rego.v1

import data.dockgate.lib

deny contains lib.violation(msg, "remove --device; an admin can allow a device path in [rules.devices] allow") if {
	input.request.action == "container.create"
	some d in lib.host_config.Devices
	not object.get(d, "PathOnHost", "") in {p | some p in lib.config.rules.devices.allow}
	msg := sprintf("--device %s is refused: host devices reach past the container", [d.PathOnHost])
}

deny contains lib.violation(msg, "remove --device-cgroup-rule") if {
	input.request.action == "container.create"
	some r in lib.host_config.DeviceCgroupRules
	msg := sprintf("--device-cgroup-rule %q is refused: it opens host devices to the container", [r])
}

# GPU requests (--gpus) are the point of a shared GPU box: allowed when configured.
deny contains lib.violation(msg, "only GPU requests are allowed (--gpus)") if {
	input.request.action == "container.create"
	some r in lib.host_config.DeviceRequests
	not gpu_request(r)
	msg := "device requests other than GPUs are refused"
}

deny contains lib.violation("--gpus is refused by the config", "ask an admin to set [rules.devices] allow_gpus = true") if {
	input.request.action == "container.create"
	some r in lib.host_config.DeviceRequests
	gpu_request(r)
	not lib.config.rules.devices.allow_gpus
}

gpu_request(r) if {
	some caps in r.Capabilities
	"gpu" in caps
}
