# Helpers shared by the rules of the built-in pack.
package dockgate.lib

import rego.v1

config := data.dockgate.config

action := input.request.action

body := input.Body if input.Body != null

else := {}

host_config := body.HostConfig if is_object(body.HostConfig)

else := {}

# Rule bodies of the pack lead with the indexed `input.request.action == "..."` literal, then
# the request field they judge (usually absent, so the rule fails at once): the order changes
# no result, only how soon a rule gives up.

# The rules switched on in the config, by id ([rules.ID]), with the name of their package
# (dockgate.rules.NAME, NAME is the id with "_" for "-"). Depends on the config only: the engine
# computes it once, not per decision.
enabled_rules := {id: replace(id, "-", "_") | some id, settings in config.rules; settings.enabled == true}

# Rules apply to everybody but admins, unless the config says admins are bound too.
applies if not exempt

exempt if {
	config.admins_exempt
	input.identity.admin
}

# A reason a rule refuses a request; the rule's id is added where the reasons are collected.
violation(msg, hint) := {"msg": msg, "hint": hint}

# Capability names as Docker accepts them: any case, with or without the CAP_ prefix.
normalise_cap(c) := upper(trim_prefix(upper(c), "CAP_"))

# A host path lies under a root when it is the root or below it (never a sibling prefix).
path_under(path, root) if path == root

path_under(path, root) if {
	root != "/"
	startswith(path, concat("", [trim_suffix(root, "/"), "/"]))
}

path_under(_, "/") := true

# What every string path strictly below a root starts with, so that (for strings)
# path_under(path, root) == (path == root or startswith(path, under_prefix(root))).
# Every path is under "/": its prefix is the empty string.
under_prefix("/") := ""

under_prefix(root) := concat("", [trim_suffix(root, "/"), "/"]) if root != "/"

# A field a client set to something other than Go's zero value (clients such as the docker CLI
# send every field of a structure, unset ones as null, "", 0, false or empty).
set(value) if not value in {null, "", 0, false, [], {}}

# The cgroup parent of the caller's containers, when [tenancy] cgroup_parent sets one.
user_cgroup_parent := replace(config.tenancy.cgroup_parent, "{user}", input.identity.user) if {
	config.tenancy.cgroup_parent != ""
}
