# The built-in pack's request rewrites (a JSON Patch on the body): the `mutations` of every rule
# the config switches on, for every caller the rules apply to (as authz.rego asks for `deny`).
# The proxy applies them and judges the rewritten request again.
package dockgate

import rego.v1

import data.dockgate.lib

mutate := [op |
	lib.applies
	some name in lib.enabled_rules
	some op in data.dockgate.rules[name].mutations
]
