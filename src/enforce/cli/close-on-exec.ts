// Descriptors a process holds beyond stdio, marked close-on-exec, so that a program it starts to
// outlive it (the resident judge) does not keep them open. A descriptor inherited without the
// flag (a shell's `3>&1`, a test harness's pipe) would otherwise stay open in that program, and
// whoever waits for the end of that pipe would wait as long as the program lives. Node cannot set
// the flag itself; libc's fcntl does, through koffi.
import { readdirSync } from 'node:fs';
import koffi from 'koffi';

const F_SETFD = 2;
const FD_CLOEXEC = 1;

const fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, ...)');

/** Marks every descriptor above stderr close-on-exec (those of Node's own already are). */
export function closeOnExecAll(): void {
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (Number.isInteger(fd) && fd > 2) fcntl(fd, F_SETFD, 'int', FD_CLOEXEC);
  }
}
