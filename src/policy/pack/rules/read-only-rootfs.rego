# Containers with a read-only root filesystem (off by default).

# METADATA
# title: (optional) containers must have a read-only root filesystem
# description: HostConfig.ReadonlyRootfs is true.
# custom:
#   why: A writable root filesystem lets an intruder persist and modify binaries.
#   fix: Add --read-only, and --tmpfs for paths that must be writable.
#   order: 24
#   config:
#     enabled: false
package dockgate.rules.read_only_rootfs

import rego.v1

import data.dockgate.lib

deny contains lib.violation("containers must have a read-only root filesystem here", "add --read-only (and --tmpfs for writable paths)") if {
	input.request.action == "container.create"
	not lib.host_config.ReadonlyRootfs == true
}
