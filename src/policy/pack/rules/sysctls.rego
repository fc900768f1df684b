# Kernel parameters set for the container.

# METADATA
# title: kernel parameters only from the allowlist (net.** by default)
# description: HostConfig.Sysctls names against [rules.sysctls] allow (glob patterns).
# custom:
#   why: Non-namespaced kernel parameters change the host kernel for everyone.
#   fix: Remove --sysctl, or ask an admin to allow it.
#   order: 8
#   config:
#     enabled: true
#     allow: ["net.**"]
package dockgate.rules.sysctls

import rego.v1

import data.dockgate.lib

deny contains lib.violation(msg, "remove --sysctl; an admin can allow it in [rules.sysctls] allow (glob patterns)") if {
	input.request.action == "container.create"
	some name, _ in lib.host_config.Sysctls
	not allowed(name)
	msg := sprintf("--sysctl %s is refused: only the configured kernel parameters may be set", [name])
}

allowed(name) if {
	some pattern in lib.config.rules.sysctls.allow
	glob.match(pattern, ["."], name)
}
