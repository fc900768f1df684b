# Per-container defaults and limits, and per-user totals, on a shared daemon.

# METADATA
# title: per-user quotas and defaults (memory, CPUs, processes, running containers, GPUs)
# description: >-
#   With [quotas] set: a container create gets the default memory, CPUs and process limit it does
#   not set, and the user's cgroup parent ([tenancy] cgroup_parent); a create or update over the
#   most allowed is refused, as is starting a container past the user's running containers or
#   GPUs, and GPUs for users outside [quotas] gpu_groups. [quotas.users.NAME] and
#   [quotas.groups.NAME] override the limits for a user or a group's members.
# custom:
#   why: >-
#     On a shared machine one user's containers can take every CPU, all memory or every GPU from
#     the others; without a per-user cgroup parent, nothing holds a user's containers together.
#   fix: >-
#     Ask for less (--memory, --cpus, --pids-limit, --gpus N), stop a running container first, or
#     ask an admin to raise your limits in [quotas.users.NAME].
#   order: 26
#   config:
#     enabled: true
package dockgate.rules.quotas

import rego.v1

import data.dockgate.lib

quotas := lib.config.quotas

# A limit for the caller: their own table, else the first of their groups that sets it, else the
# defaults.
limit(key) := quotas.users[input.identity.user][key]

else := v if {
	vs := [x | some g in input.identity.groups; x := quotas.groups[g][key]]
	count(vs) > 0
	v := vs[0]
} else := quotas[key]

bytes(key) := units.parse_bytes(limit(key)) if limit(key) != ""

creates if input.request.action == "container.create"

# --- Defaults, added to a create that sets none (then judged again with them). ---

defaults["Memory"] := bytes("memory") if {
	creates
	not lib.set(object.get(lib.host_config, "Memory", 0))
}

defaults["NanoCpus"] := round(limit("cpus") * 1000000000) if {
	creates
	limit("cpus") > 0
	not lib.set(object.get(lib.host_config, "NanoCpus", 0))
	not lib.set(object.get(lib.host_config, "CpuQuota", 0))
}

defaults["PidsLimit"] := limit("pids") if {
	creates
	limit("pids") > 0
	not lib.set(object.get(lib.host_config, "PidsLimit", 0))
}

defaults["CgroupParent"] := lib.user_cgroup_parent if {
	creates
	not lib.set(object.get(lib.host_config, "CgroupParent", 0))
}

mutations contains {"op": "add", "path": "/HostConfig", "value": defaults} if {
	count(defaults) > 0
	not is_object(object.get(lib.body, "HostConfig", null))
}

mutations contains {"op": "add", "path": concat("/", ["", "HostConfig", field]), "value": value} if {
	is_object(lib.body.HostConfig)
	some field, value in defaults
}

positive(n) if {
	is_number(n)
	n > 0
}

# --- Limits per container, on create, on a pre-1.24 start body, and on docker update. ---

# What the request sets, whichever of those it is (the update body is Resources at its top).
resources := lib.host_config if creates

else := lib.body if input.request.action in {"container.update", "container.start"}

# What a create's container gets: its own setting, or the default this rule adds (the create is
# judged before the defaults are added, and again after).
created(field) := defaults[field]

else := object.get(resources, field, 0)

deny contains lib.violation(msg, "ask for less with --memory, or ask an admin to raise [quotas] max_memory") if {
	most := bytes("max_memory")
	creates
	memory := created("Memory")
	not memory_within(memory, most)
	msg := sprintf("memory %s is over the most a container may have here (%d bytes)", [memory_text(memory), most])
}

deny contains lib.violation(msg, "ask for less with --memory") if {
	most := bytes("max_memory")
	input.request.action in {"container.update", "container.start"}
	memory := resources.Memory
	lib.set(memory)
	not memory_within(memory, most)
	msg := sprintf("memory %s is over the most a container may have here (%d bytes)", [memory_text(memory), most])
}

memory_within(memory, most) if {
	memory > 0
	memory <= most
}

memory_text(0) := "unlimited"

memory_text(m) := sprintf("%d bytes", [m]) if m != 0

deny contains lib.violation(msg, "use --cpus N (at most the configured max_cpus)") if {
	limit("max_cpus") > 0
	input.request.action in {"container.create", "container.update", "container.start"}
	some field in ["CpuQuota", "CpuPeriod"]
	lib.set(object.get(resources, field, 0))
	msg := sprintf("%s is refused here: CPU limits are set with --cpus", [field])
}

deny contains lib.violation(msg, "ask for fewer CPUs with --cpus") if {
	most := limit("max_cpus")
	most > 0
	creates
	nano := created("NanoCpus")
	not cpus_within(nano, most)
	msg := sprintf("%s CPUs is over the most a container may have here (%v)", [cpus_text(nano), most])
}

deny contains lib.violation(msg, "ask for fewer CPUs with --cpus") if {
	most := limit("max_cpus")
	most > 0
	input.request.action in {"container.update", "container.start"}
	nano := resources.NanoCpus
	lib.set(nano)
	not cpus_within(nano, most)
	msg := sprintf("%s CPUs is over the most a container may have here (%v)", [cpus_text(nano), most])
}

cpus_within(nano, most) if {
	nano > 0
	nano <= most * 1000000000
}

cpus_text(0) := "unlimited"

cpus_text(n) := sprintf("%v", [n / 1000000000]) if n != 0

deny contains lib.violation(msg, "set --pids-limit (at most the configured max_pids)") if {
	most := limit("max_pids")
	most > 0
	creates
	pids := created("PidsLimit")
	not pids_within(pids, most)
	msg := sprintf("a process limit of %v is over the most a container may have here (%d)", [pids_text(pids), most])
}

deny contains lib.violation(msg, "set --pids-limit (at most the configured max_pids)") if {
	most := limit("max_pids")
	most > 0
	input.request.action in {"container.update", "container.start"}
	pids := resources.PidsLimit
	is_number(pids)
	not pids_within(pids, most)
	msg := sprintf("a process limit of %v is over the most a container may have here (%d)", [pids_text(pids), most])
}

pids_within(pids, most) if {
	pids > 0
	pids <= most
}

pids_text(p) := "unlimited" if p <= 0

else := p

deny contains lib.violation(msg, "drop --cgroup-parent: dockgate puts your containers in your own cgroup") if {
	creates
	parent := lib.user_cgroup_parent
	requested := object.get(lib.host_config, "CgroupParent", "")
	lib.set(requested)
	requested != parent
	msg := sprintf("--cgroup-parent %s is refused: your containers go in %s", [requested, parent])
}

# --- GPUs ---

gpus_requested(r) if {
	some caps in r.Capabilities
	"gpu" in caps
}

gpus_requested(r) if r.Driver == "nvidia"

# How many GPUs a set of device requests holds (-1: every GPU of the host).
gpu_count(requests) := -1 if {
	some r in requests
	gpus_requested(r)
	r.Count == -1
	count(object.get(r, "DeviceIDs", [])) == 0
}

else := sum([n |
	some r in requests
	gpus_requested(r)
	n := gpu_count_of(r)
])

gpu_count_of(r) := count(r.DeviceIDs) if count(object.get(r, "DeviceIDs", [])) > 0

else := object.get(r, "Count", 0)

deny contains lib.violation(msg, "ask an admin to add you to one of [quotas] gpu_groups") if {
	creates
	gpu_count(object.get(lib.host_config, "DeviceRequests", [])) != 0
	groups := limit("gpu_groups")
	count(groups) > 0
	count({g | some g in input.identity.groups; g in groups}) == 0
	msg := sprintf("GPUs are for members of %s", [concat(", ", groups)])
}

deny contains lib.violation(msg, "ask for fewer GPUs with --gpus N") if {
	creates
	most := limit("max_gpus")
	most > 0
	asked := gpu_count(object.get(lib.host_config, "DeviceRequests", []))
	not gpus_within(asked, most)
	msg := sprintf("%s GPUs is over the most one user may hold here (%d)", [gpus_text(asked), most])
}

gpus_within(n, most) if {
	n >= 0
	n <= most
}

gpus_text(-1) := "all"

gpus_text(n) := sprintf("%d", [n]) if n != -1

# --- Per-user totals when a container starts (input.usage: the caller's other running containers). ---

starts if input.request.action in {"container.start", "container.restart"}

deny contains lib.violation(msg, "stop one of your running containers first (docker ps)") if {
	starts
	most := limit("max_running")
	most > 0
	input.usage.running >= most
	msg := sprintf("you have %d running containers; the most per user here is %d", [input.usage.running, most])
}

# GPUs the caller's other running containers hold (-1: one of them holds every GPU).
held_gpus := -1 if {
	some requests in input.usage.device_requests
	gpu_count(requests) == -1
} else := sum([gpu_count(requests) | some requests in input.usage.device_requests])

starting_gpus := gpu_count(input.usage.target_device_requests)

deny contains lib.violation(msg, "stop a container that holds GPUs first, or ask for fewer") if {
	starts
	most := limit("max_gpus")
	most > 0
	starting_gpus != 0
	not gpus_within(held_gpus + starting_gpus, most)
	held_gpus >= 0
	starting_gpus >= 0
	msg := sprintf("your running containers hold %d GPUs and this one asks for %d; the most per user here is %d", [held_gpus, starting_gpus, most])
}

deny contains lib.violation(msg, "ask for fewer GPUs with --gpus N, or stop the container that holds every GPU") if {
	starts
	limit("max_gpus") > 0
	starting_gpus != 0
	-1 in {held_gpus, starting_gpus}
	msg := "a container asking for every GPU of the host (--gpus all) is over the config's GPUs per user"
}

# Totals need the daemon's word on the caller's running containers, which the proxy gives with
# tenancy on: without it, a start under a configured total is refused rather than let through.
deny contains lib.violation("per-user totals ([quotas] max_running, max_gpus) need [tenancy] enabled", "ask an admin to turn tenancy on") if {
	starts
	input.layer == "proxy"
	not input.usage
	some key in ["max_running", "max_gpus"]
	limit(key) > 0
}
