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
    summary: 'no host pid, ipc, uts, user or network namespace',
    defaultOn: true,
    checks: 'HostConfig.PidMode, IpcMode, UTSMode, UsernsMode and NetworkMode equal to "host".',
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
    checks: 'HostConfig.SecurityOpt seccomp=unconfined or a custom profile, apparmor=unconfined, label=disable, systempaths=unconfined, and explicit MaskedPaths/ReadonlyPaths.',
    why: 'These switch off the confinement that stops a root process in the container from reaching the kernel and the host.',
    fix: 'Remove the --security-opt; the default profiles are what keeps the container contained.',
  },
  {
    id: 'mounts',
    summary: 'bind mounts only under your home and the configured roots; never the Docker socket',
    defaultOn: true,
    checks: 'Every BindMounts entry (Binds, bind Mounts, and volumes backed by a host device) by its Resolved host path: symlinks followed and .. removed.',
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
    summary: 'builds: no BuildKit, remote contexts, host network, RUN --security=insecure, ADD from URLs; optional FROM allowlist',
    defaultOn: true,
    checks: 'POST /build query (version, remote, networkmode) and the Dockerfile found in the context.',
    why: 'A build runs code with the builder\'s privileges; an insecure RUN is a privileged container, and a BuildKit or remote build hides its Dockerfile from dockgate.',
    fix: 'Build from a local context with the classic builder, without --network=host and RUN --security=insecure.',
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
