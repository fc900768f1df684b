// Command lines whose translation is checked against the real docker CLI, and whose verdict is
// checked against the decision core on what the CLI actually sends. They need, in the directory
// they run in: env.list, labels.list and seccomp.json (see writeCorpusFiles).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeCorpusFiles(dir: string): void {
  mkdirSync(join(dir, 'ctx'), { recursive: true });
  writeFileSync(join(dir, 'ctx', 'Dockerfile'), 'FROM busybox\nRUN true\n');
  writeFileSync(join(dir, 'env.list'), '# comment\nA=1\nB=two words\n');
  writeFileSync(join(dir, 'labels.list'), 'team=blue\nowner\n');
  writeFileSync(join(dir, 'seccomp.json'), '{ "defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [] }\n');
}

export const CREATE_CASES: string[][] = [
  ['bb'],
  ['--privileged', 'bb'],
  ['--privileged=true', 'bb'],
  ['--privileged=false', 'bb'],
  ['-v', '/:/h', 'bb'],
  ['-v=/:/h', 'bb'],
  ['--volume', '/:/h:ro', 'bb'],
  ['--volume=/etc:/e', '-v', './rel:/r:ro', '-v', '../up:/u', '-v', '.:/dot', 'bb'],
  ['-v', 'named:/data', '-v', '/anon', 'bb'],
  ['-itv', '/:/h', 'bb', 'sh'],
  ['--mount', 'type=bind,src=/,dst=/h', 'bb'],
  ['--mount', 'type=bind,source=rel,target=/r,readonly', 'bb'],
  [
    '--mount',
    'type=volume,src=v,dst=/v,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc',
    'bb',
  ],
  ['--mount', 'type=tmpfs,dst=/t,tmpfs-size=64m', 'bb'],
  ['--mount', '"type=bind","src=/srv","dst=/s"', 'bb'],
  ['--cap-add', 'SYS_ADMIN', '--cap-add=net_admin', '--cap-drop', 'ALL', 'bb'],
  ['--cap-add', 'ALL', 'bb'],
  ['--cap-add', 'cap_sys_ptrace', '--cap-drop', 'SYS_PTRACE', 'bb'],
  ['--device', '/dev/mem', 'bb'],
  ['--device', '/dev/sda:/dev/xvda:r', '--device=/dev/kmsg:rw', 'bb'],
  ['--security-opt', 'seccomp=unconfined', 'bb'],
  [
    '--security-opt',
    'apparmor=unconfined',
    '--security-opt',
    'label=disable',
    '--security-opt',
    'no-new-privileges',
    'bb',
  ],
  ['--security-opt', 'systempaths=unconfined', 'bb'],
  ['--security-opt', 'seccomp=seccomp.json', 'bb'],
  ['--security-opt', 'apparmor:unconfined', 'bb'],
  ['--pid=host', 'bb'],
  ['--pid', 'container:other', 'bb'],
  ['--ipc=host', '--uts=host', '--userns=host', '--cgroupns=host', 'bb'],
  ['--network', 'host', 'bb'],
  ['--net=host', 'bb'],
  ['--network', 'none', 'bb'],
  ['--network', 'container:x', 'bb'],
  ['--gpus', 'all', 'bb'],
  ['--gpus', '2', 'bb'],
  ['--gpus', '"device=0,1"', 'bb'],
  ['--cgroup-parent', '/system.slice', 'bb'],
  ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.msgmax=65536', 'bb'],
  ['--volumes-from', 'other', '--volumes-from', 'third:ro', 'bb'],
  ['-l', 'a=b', '--label', 'c', '--label-file', 'labels.list', 'bb'],
  ['-e', 'X=1', '-e', 'FROM_ENV', '-e', 'UNSET_VAR', '--env-file', 'env.list', 'bb'],
  ['-m', '512m', '--memory-swap', '1g', '--memory-reservation', '256m', '--cpus', '1.5', '--pids-limit', '100', 'bb'],
  ['--cpu-shares', '512', '--cpuset-cpus', '0-1', '--shm-size', '1g', '--oom-score-adj', '100', 'bb'],
  ['--user', '0', 'bb'],
  ['-u', 'root:root', '--group-add', 'docker', '--group-add', '0', 'bb'],
  ['--read-only', '--tmpfs', '/run', '--tmpfs', '/tmp:rw,size=64m', 'bb'],
  ['--rm', '--init', 'bb'],
  ['--restart', 'on-failure:3', 'bb'],
  ['--runtime', 'runc', '--isolation', 'default', 'bb'],
  ['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=100', 'bb'],
  ['--device-cgroup-rule', 'c 1:1 rwm', 'bb'],
  ['--name', 'web', '--hostname', 'h', '-w', '/work', '--entrypoint', 'sh', 'bb', '-c', 'echo hi'],
  ['--platform', 'linux/amd64', 'bb'],
  ['-p', '8080:80', '-p', '127.0.0.1:9090:90/udp', '--expose', '70', 'bb'],
  ['--add-host', 'db:10.0.0.1', '--dns', '1.1.1.1', '--dns-search', 'x', 'bb'],
  ['--log-driver', 'json-file', '--log-opt', 'max-size=1m', 'bb'],
  ['--storage-opt', 'size=10G', 'bb'],
  ['-t', '-i', 'bb'],
  ['-a', 'stdout', 'bb'],
  ['--oom-kill-disable', 'bb'],
  ['bb', '--privileged'],
  ['--', 'bb', 'sh'],
];

export const RUN_CASES: string[][] = [
  ['--rm', 'bb', 'echo', 'hi'],
  ['-d', '--privileged', 'bb'],
  ['-dit', '-v', '/:/h', 'bb'],
  ['--detach=true', '--use-api-socket', 'bb'],
];
