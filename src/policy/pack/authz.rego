# dockgate built-in policy pack: the decision.
#
# A request is allowed when no rule of the pack denies it. Every rule is a package
# dockgate.rules.NAME in rules/ID.rego that adds {msg, hint} objects to its `deny` set; this
# module asks every rule the config switches on ([rules.ID] enabled, lib.enabled_rules), for
# every caller the rules apply to (lib.applies), and names each reason by its rule's id. A rule
# file added under rules/ with its config table is asked without a change here. Tune the rules
# with the TOML config (data.dockgate.config), not by editing here.
package docker.authz

import rego.v1

import data.dockgate.lib

default allow := false

allow if count(deny) == 0

deny contains reason(id, v) if {
	lib.applies
	some id, name in lib.enabled_rules
	some v in data.dockgate.rules[name].deny
}

# A rule's reason with its id; a reason that is not an object is still a refusal.
reason(id, v) := object.union(v, {"rule": id}) if is_object(v)

else := {"rule": id, "msg": v}
