/**
 * The container images the simulator knows: what their main process is
 * called, which sockets it opens, and how it answers HTTP. Unknown images
 * fail the way `docker run` does when a pull is denied.
 */
export interface ImageSpec {
  /** As `docker ps` truncates it in COMMAND. */
  command: string;
  listen: string[];
  process: string;
  /** Whether the main process keeps running when started detached without a TTY. */
  daemon: boolean;
  http?: (path: string) => { status: number; reason: string; body: string; contentType: string };
}

const NGINX_WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
</body>
</html>
`;

const NOT_FOUND = `<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx/1.27.3</center>
</body>
</html>
`;

export const IMAGES: Record<string, ImageSpec> = {
  nginx: {
    command: `"/docker-entrypoint.…"`,
    listen: ["tcp/80"],
    process: "nginx",
    daemon: true,
    http: (path) =>
      path === "/" || path === "/index.html"
        ? { status: 200, reason: "OK", body: NGINX_WELCOME, contentType: "text/html" }
        : { status: 404, reason: "Not Found", body: NOT_FOUND, contentType: "text/html" },
  },
  redis: { command: `"docker-entrypoint.s…"`, listen: ["tcp/6379"], process: "redis-server", daemon: true },
  busybox: { command: `"sh"`, listen: [], process: "sh", daemon: false },
  alpine: { command: `"/bin/sh"`, listen: [], process: "sh", daemon: false },
  pause: { command: `"/pause"`, listen: [], process: "pause", daemon: true },
};

/** "nginx:latest" → { name: "nginx", tag: "latest", spec }. */
export function resolveImage(ref: string): { name: string; tag: string; spec: ImageSpec | undefined } {
  const at = ref.lastIndexOf(":");
  const name = at > 0 ? ref.slice(0, at) : ref;
  const tag = at > 0 ? ref.slice(at + 1) : "latest";
  const base = name.replace(/^(docker\.io\/)?(library\/)?/, "");
  return { name, tag, spec: IMAGES[base] };
}
