# The built-in pack's request rewrites (a JSON Patch on the body), collected from the rules that
# make them. The proxy applies them and judges the rewritten request again.
package dockgate

import rego.v1

mutate := [op | some op in data.dockgate.rules.run_as_caller.mutations]
