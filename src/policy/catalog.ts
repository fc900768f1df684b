// What each rule of the built-in pack checks, why it matters and how to do without what it
// refuses: the text of `dockgate policy list` and `dockgate policy explain RULE`.

export interface RuleInfo {
  id: string;
  /** One line for `policy list`. */
  summary: string;
  /** Default state; optional rules are switched on in the config. */
  defaultOn: boolean;
  checks: string;
  why: string;
  fix: string;
}

export const RULES: readonly RuleInfo[] = [
  {
    id: 'privileged',
    summary: 'no privileged containers or privileged exec',
    defaultOn: true,
    checks: 'HostConfig.Privileged on container create, and Privileged on exec create.',
    why: 'A privileged container gets every capability, every host device and no seccomp or AppArmor confinement: it can mount the host disk and load kernel modules. It is root on the host.',
    fix: 'Run without --privileged. Add only the capabilities the program needs with --cap-add (if allowed by [rules.capabilities] allow) and pass single devices with --device if allowed.',
  },
  {
    id: 'host-namespaces',
    summary: 'no host pid, ipc, uts, user, cgroup or network namespace',
    defaultOn: true,
    checks:
      'HostConfig.PidMode, IpcMode, UTSMode, UsernsMode, CgroupnsMode and NetworkMode equal to "host" in any case, and any other value of them but the container\'s own namespace.',
    why: 'Sharing the host pid namespace lets the container see and signal host processes (and read their memory with ptrace); the network namespace exposes host-only services; userns=host turns off user-namespace remapping.',
    fix: 'Drop --pid/--ipc/--uts/--userns/--network=host. Publish ports with -p instead of host networking.',
  },
  {
    id: 'container-joins',
    summary: "no joining another container's namespaces or volumes",
    defaultOn: true,
    checks: 'HostConfig.PidMode, IpcMode and NetworkMode of the form "container:X", and HostConfig.VolumesFrom.',
    why: "A container that joins another one gets what that one was given: its host network or pid namespace, the host paths it bind-mounts (--volumes-from), and another user's processes, traffic and files. Without this rule, an admin's --network host container or -v /:/host container is a way around the namespace and mount rules.",
    fix: 'Run the programs that must share a namespace in one container, and share data through a named volume. An admin can switch the rule off with rules.container-joins.enabled = false.',
  },
  {
    id: 'capabilities',
    summary: "no capabilities beyond Docker's defaults and the configured allowlist",
    defaultOn: true,
    checks: 'HostConfig.CapAdd, any case, with or without the CAP_ prefix; ALL counts as every capability.',
    why: 'Capabilities such as SYS_ADMIN, SYS_MODULE, SYS_PTRACE or DAC_READ_SEARCH break out of the container.',
    fix: 'Remove --cap-add. An admin can allow a capability with [rules.capabilities] allow = ["NET_ADMIN"].',
  },
  {
    id: 'devices',
    summary: 'no host devices or device cgroup rules (GPU requests allowed)',
    defaultOn: true,
    checks: 'HostConfig.Devices, DeviceCgroupRules and DeviceRequests (only GPU requests pass, when allow_gpus).',
    why: 'A host device such as /dev/sda, /dev/mem or /dev/kmsg reaches the host directly; a device cgroup rule opens all of them.',
    fix: 'Remove --device and --device-cgroup-rule; use --gpus for GPUs. An admin can allow a device path in [rules.devices] allow.',
  },
  {
    id: 'security-opts',
    summary: 'no unconfined seccomp/AppArmor, no disabled labels, no unmasked system paths',
    defaultOn: true,
    checks:
      'HostConfig.SecurityOpt by allowlist, in the spellings dockerd reads (KEY=VALUE, KEY:VALUE, bare no-new-privileges and disable): no-new-privileges, AppArmor profiles from [rules.security-opts] apparmor_profiles, custom seccomp profiles only with allow_custom_seccomp; and explicit MaskedPaths/ReadonlyPaths.',
    why: 'These switch off the confinement that stops a root process in the container from reaching the kernel and the host.',
    fix: 'Remove the --security-opt; the default profiles are what keeps the container contained.',
  },
  {
    id: 'mounts',
    summary: 'bind mounts only under your home and the configured roots; never the Docker socket',
    defaultOn: true,
    checks:
      'Every BindMounts entry (Binds, bind Mounts, and volumes backed by a host device) by its Resolved host path: symlinks followed and .. removed.',
    why: 'A bind of /, /etc or the Docker socket hands the host to the container.',
    fix: 'Use a named volume, or a directory under your home. An admin can add roots with [rules.mounts] allow.',
  },
  {
    id: 'sysctls',
    summary: 'kernel parameters only from the allowlist (net.** by default)',
    defaultOn: true,
    checks: 'HostConfig.Sysctls names against [rules.sysctls] allow (glob patterns).',
    why: 'Non-namespaced kernel parameters change the host kernel for everyone.',
    fix: 'Remove --sysctl, or ask an admin to allow it.',
  },
  {
    id: 'run-as-caller',
    summary: 'a container that mounts a host path runs as you (uid:gid, no-new-privileges)',
    defaultOn: true,
    checks:
      "Container create with any BindMounts entry (binds, bind mounts, local volumes over host paths): Config.User is rewritten to the caller's UID:GID and no-new-privileges is added; another --user, --group-add other than the primary group, and exec as another user into such a container are refused.",
    why: "Root in a container with Docker's default capabilities can chown and chmod files on a mounted host path: a setuid-root copy of a shell in your home is root on the host. A path checked at create can also be swapped by a symlink before a later start. Running as you, the container gets no more of the host than you already have, whatever the mount resolves to.",
    fix: 'Let the container run as you (drop --user, or use --user UID:GID with your own ids); files it writes in the mount are yours. If the daemon remaps users (userns-remap, rootless), an admin can set [rules.run-as-caller] enabled = false.',
  },
  {
    id: 'file-access',
    summary: 'no docker cp into or out of a container that mounts a host path',
    defaultOn: true,
    checks:
      'PUT, GET and HEAD /containers/{id}/archive and POST /containers/{id}/copy when the container mounts a host path (looked up at the daemon).',
    why: "dockerd extracts and reads archives as root and keeps each tar entry's owner and mode: a PUT drops a setuid-root file into the mounted host directory, a GET reads through it as root.",
    fix: 'Copy files through the host directory itself: it is mounted in the container.',
  },
  {
    id: 'lifecycle',
    summary: 'no start bodies, checkpoints, or updates beyond resource limits',
    defaultOn: true,
    checks:
      'A body on container start (applied as a new HostConfig by API versions below 1.24), start from a checkpoint and checkpoint routes, and docker update fields other than limits and the restart policy.',
    why: 'A container allowed at create must not be given binds, privileges, devices or namespaces afterwards through another request.',
    fix: 'Give every setting when the container is created; use docker update for limits only.',
  },
  {
    id: 'drivers',
    summary: 'volume, log, network and IPAM drivers only from allowlists; no network driver options or own subnets',
    defaultOn: true,
    checks:
      'volume create Driver, HostConfig.VolumeDriver, --mount volume-driver, the drivers of existing volumes mounted, LogConfig.Type, network create Driver, IPAM.Driver, Options and subnets (only inside [rules.drivers] subnets); endpoint driver options on network connect; a name with / or .. is always refused.',
    why: "dockerd looks an unknown driver up as /run/docker/plugins/NAME.sock without refusing .., so a driver name can make dockerd call a server you run and mount whatever it answers. Log drivers with addresses can make dockerd write to any socket; bridge options can take over a host interface, and a subnet more specific than a host route diverts the host's traffic to your bridge.",
    fix: 'Use the default drivers. An admin can allow more in [rules.drivers] volume, log, network and ipam.',
  },
  {
    id: 'volume-options',
    summary: 'local volume options only when known to be harmless (tmpfs, binds judged as binds)',
    defaultOn: true,
    checks:
      'DriverOpts of local volumes (volume create, --mount volume-opt): keys type, o, device, size; types tmpfs, none, bind; o flags and tmpfs settings from an allowlist. Host paths the mount would use are judged as binds by mounts and run-as-caller.',
    why: 'The local driver is mount(8): o=bind makes device a bind of any host path whatever type says, and other types take host paths or remote servers in their options.',
    fix: 'Use a plain named volume, a tmpfs (type=tmpfs with size, mode, uid, gid), or a bind of a directory under your home.',
  },
  {
    id: 'host-config',
    summary:
      'create fields only when dockgate knows them; runtime, isolation, cgroup, OOM score and mount types by allowlist',
    defaultOn: true,
    checks:
      'Every field of a create body (Config, HostConfig, NetworkingConfig endpoints) against the fields the pack judges; Runtime from [rules.host-config] runtimes, Isolation, Cgroup, OomScoreAdj not negative, no Annotations, Mounts of type bind, volume or tmpfs, no endpoint DriverOpts.',
    why: 'dockerd gains fields with each release; a field the pack has never judged may reach the host (another runtime, the host cgroup, network driver settings).',
    fix: 'Remove the setting. An admin can create such containers, or allow a runtime in [rules.host-config] runtimes.',
  },
  {
    id: 'privileged-ports',
    summary: 'no publishing on host ports below 1024',
    defaultOn: true,
    checks: 'HostConfig.PortBindings HostPort (single ports and ranges) below [rules.privileged-ports] lowest.',
    why: "Ports below 1024 are a right of root on the host: a user could stand in for the host's own services.",
    fix: 'Publish on a port from 1024 up (-p 8080:80).',
  },
  {
    id: 'cgroup-parent',
    summary: 'no --cgroup-parent outside the configured cgroup',
    defaultOn: true,
    checks: 'HostConfig.CgroupParent on create and the cgroupparent query of builds.',
    why: 'Choosing the parent cgroup escapes the limits placed on your containers.',
    fix: 'Drop --cgroup-parent.',
  },
  {
    id: 'plugins',
    summary: 'no plugin install, enable, upgrade or settings',
    defaultOn: true,
    checks: 'plugin.install, plugin.enable, plugin.upgrade, plugin.create, plugin.set, plugin.push.',
    why: 'A Docker plugin runs as root on the host with the privileges it asks for.',
    fix: 'Ask an admin to install the plugin.',
  },
  {
    id: 'swarm',
    summary: 'no swarm, node, service, secret or config changes',
    defaultOn: true,
    checks: 'Write actions on swarm, node, service, secret and config.',
    why: 'Services run containers with their own mounts and privileges, outside the per-container rules.',
    fix: 'Ask an admin.',
  },
  {
    id: 'unknown-endpoint',
    summary: 'no requests to endpoints dockgate does not know',
    defaultOn: true,
    checks: 'Requests whose method and path match no Engine API route.',
    why: 'What dockgate cannot name, it cannot judge: fail closed.',
    fix: 'Check the request; report a real endpoint dockgate misses.',
  },
  {
    id: 'build',
    summary:
      'builds: no BuildKit (/build?version=2, /grpc, /session), remote contexts, --pull, networks beyond bridge/none, unknown build parameters, RUN --security=insecure, ADD from URLs, unseen base images; optional FROM allowlist',
    defaultOn: true,
    checks:
      "POST /build: every query parameter against the classic builder's list (version, remote, networkmode only default/bridge/none, isolation, pull; no form bodies), and the Dockerfile dockerd will run: the context read as dockerd reads it (end-of-archive marker, symlinks on the Dockerfile path), ARG/ENV substituted (build args from the query, ENV of the base image), the base images' ONBUILD triggers (looked up at the daemon) judged as instructions; FROM an earlier stage only with --no-cache (a cached image could stand in for the stage). BuildKit's /grpc and /session endpoints.",
    why: "A build runs code with the builder's privileges: an insecure RUN is a privileged container, a build network of host or container:X joins another namespace, and ADD fetches URLs with the daemon's network. A BuildKit or remote build, a base image pulled during the build, or a substitution dockgate cannot follow would hide what is built from dockgate.",
    fix: 'Build from a local context with the classic builder (DOCKER_BUILDKIT=0), without --network, --pull or RUN --security=insecure; docker pull the base image first; download files in a RUN step or copy them into the context; add --no-cache to a build that uses FROM an earlier stage (or use COPY --from).',
  },
  {
    id: 'require-limits',
    summary: '(optional) containers must set memory and pids limits',
    defaultOn: false,
    checks: 'HostConfig fields listed in [rules.require-limits] fields are positive.',
    why: 'One container without limits can starve the whole machine.',
    fix: 'Add --memory and --pids-limit.',
  },
  {
    id: 'allowed-registries',
    summary: '(optional) images only from allowed registries',
    defaultOn: false,
    checks: 'The image of container create and image pull, by registry host.',
    why: 'Images from unknown registries are unreviewed code.',
    fix: 'Use an image from an allowed registry.',
  },
  {
    id: 'no-root-user',
    summary: '(optional) containers must not run as root',
    defaultOn: false,
    checks: 'Config.User is set and not root or uid 0.',
    why: 'Root in a container is one kernel bug away from root on the host.',
    fix: 'Add --user UID:GID.',
  },
  {
    id: 'read-only-rootfs',
    summary: '(optional) containers must have a read-only root filesystem',
    defaultOn: false,
    checks: 'HostConfig.ReadonlyRootfs is true.',
    why: 'A writable root filesystem lets an intruder persist and modify binaries.',
    fix: 'Add --read-only, and --tmpfs for paths that must be writable.',
  },
  {
    id: 'no-new-privileges',
    summary: '(optional) containers must set no-new-privileges',
    defaultOn: false,
    checks: 'HostConfig.SecurityOpt contains no-new-privileges.',
    why: 'Without it, setuid binaries in the image can raise privileges inside the container.',
    fix: 'Add --security-opt no-new-privileges.',
  },
];

export function findRule(id: string): RuleInfo | undefined {
  return RULES.find((r) => r.id === id);
}
