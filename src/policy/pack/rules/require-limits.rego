# Resource limits every container must set (off by default).

# METADATA
# title: (optional) containers must set memory and pids limits
# description: HostConfig fields listed in [rules.require-limits] fields are positive.
# custom:
#   why: One container without limits can starve the whole machine.
#   fix: Add --memory and --pids-limit.
#   order: 21
#   config:
#     enabled: false
#     fields: ["Memory", "PidsLimit"]
package dockgate.rules.require_limits

import rego.v1

import data.dockgate.lib

deny contains lib.violation(msg, "set --memory and --pids-limit") if {
	input.request.action == "container.create"
	some field in lib.config.rules["require-limits"].fields
	not positive(object.get(lib.host_config, field, 0))
	msg := sprintf("HostConfig.%s must be set: containers need resource limits here", [field])
}

positive(n) if n > 0

# With require-limits on, an update must not lift a required limit (PidsLimit 0 or -1 is none).
deny contains lib.violation(msg, "keep the limit positive") if {
	input.request.action == "container.update"
	some field in lib.config.rules["require-limits"].fields
	value := lib.body[field]
	is_number(value)
	value <= 0
	field == "PidsLimit"
	msg := sprintf("docker update setting %s to %v is refused: containers need resource limits here", [field, value])
}
