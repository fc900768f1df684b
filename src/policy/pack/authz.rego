# dockgate built-in policy pack: the decision.
#
# A request is allowed when no rule of the pack denies it. Every rule lives in its own package
# under dockgate.rules and adds {rule, msg, hint} objects to its `deny` set; this module only
# collects them. Tune the rules with the TOML config (data.dockgate.config), not by editing here.
package docker.authz

import rego.v1

default allow := false

allow if count(deny) == 0

deny contains v if some v in data.dockgate.rules.allowed_registries.deny
deny contains v if some v in data.dockgate.rules.build.deny
deny contains v if some v in data.dockgate.rules.capabilities.deny
deny contains v if some v in data.dockgate.rules.cgroup_parent.deny
deny contains v if some v in data.dockgate.rules.container_joins.deny
deny contains v if some v in data.dockgate.rules.devices.deny
deny contains v if some v in data.dockgate.rules.drivers.deny
deny contains v if some v in data.dockgate.rules.file_access.deny
deny contains v if some v in data.dockgate.rules.host_config.deny
deny contains v if some v in data.dockgate.rules.host_namespaces.deny
deny contains v if some v in data.dockgate.rules.lifecycle.deny
deny contains v if some v in data.dockgate.rules.mounts.deny
deny contains v if some v in data.dockgate.rules.no_new_privileges.deny
deny contains v if some v in data.dockgate.rules.no_root_user.deny
deny contains v if some v in data.dockgate.rules.plugins.deny
deny contains v if some v in data.dockgate.rules.privileged.deny
deny contains v if some v in data.dockgate.rules.privileged_ports.deny
deny contains v if some v in data.dockgate.rules.read_only_rootfs.deny
deny contains v if some v in data.dockgate.rules.require_limits.deny
deny contains v if some v in data.dockgate.rules.run_as_caller.deny
deny contains v if some v in data.dockgate.rules.security_opts.deny
deny contains v if some v in data.dockgate.rules.swarm.deny
deny contains v if some v in data.dockgate.rules.sysctls.deny
deny contains v if some v in data.dockgate.rules.unknown_endpoint.deny
deny contains v if some v in data.dockgate.rules.volume_options.deny
