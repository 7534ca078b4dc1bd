/**
 * What /proc-reading tools (`ss -p`, `ss -l`'s backlog) see of the simulated
 * processes that own sockets. A socket's owner is a string such as
 * "nginx/2b3c181aecf1" (program/container) or a service name; the program
 * name is the part before the slash.
 *
 * The engine has no process table, so a process's pid is derived from its
 * owner string (FNV-1a, folded into the range Linux hands out on a busy host,
 * 1000–32767): the same process always shows the same pid, and two processes
 * almost never share one. File descriptors start where the program's first
 * socket usually lands (nginx opens its logs first: fd 6; most programs: 3).
 * The listen backlog is what the program passes to listen(2), capped by
 * somaxconn (4096).
 */
const FIRST_SOCKET_FD: Record<string, number> = { nginx: 6 };
const LISTEN_BACKLOG: Record<string, number> = { nginx: 511, "redis-server": 511, python3: 5, nc: 1 };
const SOMAXCONN = 4096;

export function programName(owner: string): string {
  const slash = owner.indexOf("/");
  return slash < 0 ? owner : owner.slice(0, slash);
}

export function processPid(owner: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < owner.length; i++) h = Math.imul(h ^ owner.charCodeAt(i), 0x01000193) >>> 0;
  return 1000 + (h % 31768);
}

export function firstSocketFd(owner: string): number {
  return FIRST_SOCKET_FD[programName(owner)] ?? 3;
}

export function listenBacklog(owner: string): number {
  return Math.min(LISTEN_BACKLOG[programName(owner)] ?? SOMAXCONN, SOMAXCONN);
}
