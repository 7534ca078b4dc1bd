/** ping, curl and docker print what iputils, curl and the Docker CLI print (test/fixtures/linux). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

function fixture(name: string): { text: string; exit: number } {
  const raw = readFileSync(`test/fixtures/linux/${name}.txt`, "utf8");
  const m = /# exit (\d+)\n?$/.exec(raw)!;
  return { text: raw.slice(0, m.index), exit: Number(m[1]) };
}

const run = (command: string, namespace = "nginx-1") => labEngine("bridge-two-containers").run({ host: "node1", namespace, command });

describe("ping", () => {
  for (const [cmd, file] of [
    ["ping -c 1 999.1.1.1", "nginx-1-ping-c-1-999-1-1-1"],
    ["ping -c abc 1.1.1.1", "nginx-1-ping-c-abc-1-1-1-1"],
    ["ping", "nginx-1-ping-no-args"],
    ["ping nosuch.invalid", "nginx-1-ping-nosuch-invalid"],
    ["ping -c 0 172.17.0.3", "nginx-1-ping-c-0-172-17-0-3"],
  ] as const) {
    it(`${cmd} fails like iputils`, () => {
      const f = fixture(file);
      const r = run(cmd);
      expect(r.output).toBe(f.text);
      expect(r.exitCode).toBe(f.exit);
    });
  }
  it("an unanswered ping with -W 1 prints the same block as iputils (but for the elapsed time)", () => {
    const f = fixture("nginx-1-ping-c-2-w-1-172-17-0-99");
    const r = run("ping -c 2 -W 1 172.17.0.99");
    expect(r.output.replace(/time \d+ms/, "time Xms")).toBe(f.text.replace(/time \d+ms/, "time Xms"));
    expect(r.exitCode).toBe(f.exit);
  });
  it("ARP failure: five Destination Host Unreachable lines and the pipe figure", () => {
    const f = fixture("nginx-1-ping-c-5-172-17-0-99");
    const r = run("ping -c 5 172.17.0.99");
    expect(r.output.replace(/time \d+ms/, "time Xms")).toBe(f.text.replace(/time \d+ms/, "time Xms"));
  });
  it("ping 127.0.0.1 goes through lo", () => {
    const r = run("ping -c 1 127.0.0.1");
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=0\.\d{3} ms/);
    expect(r.events.filter((e) => e.kind === "frame-tx").every((e) => e.device === "lo")).toBe(true);
  });
  it("a TTL of 1 towards another subnet expires at the gateway: Time to live exceeded", () => {
    const r = run("ping -c 1 -t 1 10.168.0.2");
    // 10.168.0.2 is the host's own eth0 address: local delivery at the first hop, no forwarding needed.
    expect(r.exitCode).toBe(0);
    const far = run("ping -c 1 -t 1 10.168.0.9");
    expect(far.output).toContain("From 172.17.0.1 icmp_seq=1 Time to live exceeded");
    expect(far.events.some((e) => e.kind === "drop" && e.reason === "ttl-expired")).toBe(true);
  });
});

describe("curl", () => {
  it("a closed port is refused with RST: curl exits 7", () => {
    const f = fixture("nginx-1-curl-http-172-17-0-3-81");
    const r = run("curl http://172.17.0.3:81/");
    expect(r.output).toBe(f.text);
    expect(r.exitCode).toBe(7);
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "port-closed" && e.namespace === "nginx-2")).toBe(true);
  });
  it("--connect-timeout 1 to a missing host: exit 28 after 1000 ms", () => {
    const r = run("curl --connect-timeout 1 http://172.17.0.99/");
    expect(r.output).toBe("curl: (28) Failed to connect to 172.17.0.99 port 80 after 1000 ms: Timeout was reached\n");
    expect(r.exitCode).toBe(28);
  });
  it("fetches nginx's page with a full TCP handshake and close", () => {
    const r = run("curl http://172.17.0.3/");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("<title>Welcome to nginx!</title>");
    const states = r.events.filter((e) => e.kind === "tcp-state" && e.namespace === "nginx-1").map((e) => (e.kind === "tcp-state" ? e.to : ""));
    expect(states).toEqual(["SYN-SENT", "ESTAB", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]);
  });
});

describe("docker", () => {
  it("docker run gives the next address, Docker's MAC and a veth on docker0", () => {
    const engine = labEngine("bridge-two-containers");
    const r = engine.run({ host: "node1", command: "docker run -d --name web nginx" });
    expect(r.output).toMatch(/^[0-9a-f]{64}\n$/);
    expect(engine.run({ host: "node1", command: "docker inspect -f '{{.NetworkSettings.IPAddress}}' web" }).output).toBe("172.17.0.4\n");
    const web = engine.state().hosts[0]!.namespaces.find((n) => n.name === "web")!;
    expect(web.interfaces.find((i) => i.name === "eth0")).toMatchObject({ mac: "02:42:ac:11:00:04", addresses: ["172.17.0.4/16"], up: true, lowerUp: true });
    expect(engine.run({ host: "node1", command: "docker exec web ping -c 1 172.17.0.3" }).exitCode).toBe(0);
    expect(engine.run({ host: "node1", namespace: "web", command: "ping -c 1 172.17.0.2" }).exitCode).toBe(0);
  });
  it("a name in use, an unknown image and a running container's removal fail like the CLI, changing nothing", () => {
    const engine = labEngine("bridge-two-containers");
    const snapshot = () => JSON.stringify({ ...engine.state(), time: 0 });
    const before = snapshot();
    const dup = engine.run({ host: "node1", command: "docker run -d --name nginx-1 nginx" });
    expect(dup.exitCode).toBe(125);
    expect(dup.output).toContain('Conflict. The container name "/nginx-1" is already in use by container "2b3c181aecf1');
    const img = engine.run({ host: "node1", command: "docker run -d nosuchimage" });
    expect(img.exitCode).toBe(125);
    expect(img.output).toContain("Unable to find image 'nosuchimage:latest' locally");
    const rm = engine.run({ host: "node1", command: "docker rm nginx-1" });
    expect(rm.exitCode).toBe(1);
    expect(snapshot()).toBe(before);
    expect(engine.run({ host: "node1", command: "docker rm -f nginx-1" }).output).toBe("nginx-1\n");
    const root = engine.state().hosts[0]!.namespaces.find((n) => n.name === "root")!;
    expect(root.interfaces.map((i) => i.name)).not.toContain("veth9c02e56");
  });
  it("unknown commands get the shell's answer", () => {
    expect(run("nosuchcmd")).toMatchObject({ output: "bash: nosuchcmd: command not found\n", exitCode: 127 });
  });
});

describe("docker: real commands and flags cnlab does not simulate say so", () => {
  const docker = (command: string) => labEngine("bridge-two-containers").run({ host: "node1", command });
  for (const [cmd, what] of [
    ["docker network ls", "docker network ls"],
    ["docker network inspect bridge", "docker network inspect"],
    ["docker network create mynet", "docker network create"],
    ["docker network", "docker network"],
    ["docker images", "docker images"],
    ["docker image ls", "docker image ls"],
    ["docker pull nginx", "docker pull"],
    ["docker restart nginx-1", "docker restart"],
    ["docker container kill nginx-1", "docker container kill"],
    ["docker version", "docker version"],
    ["docker -H tcp://1.2.3.4:2375 ps", "docker -H"],
    ["docker run -d -e A=1 nginx", "docker run -e"],
    ["docker run -d --ip 172.17.0.9 nginx", "docker run --ip"],
    ["docker run -d nginx nginx -g daemon-off", "docker run nginx nginx -g daemon-off"],
    ["docker ps --format {{.Names}}", "docker ps --format"],
    ["docker exec -e A=1 nginx-1 ip addr", "docker exec -e"],
    ["docker logs -f nginx-1", "docker logs -f"],
    ["docker stop -t 1 nginx-1", "docker stop -t"],
    ["docker inspect --type container nginx-1", "docker inspect --type"],
  ] as const) {
    it(`${cmd}: says so, changes nothing`, () => {
      const engine = labEngine("bridge-two-containers");
      const before = JSON.stringify({ ...engine.state(), time: 0 });
      const r = engine.run({ host: "node1", command: cmd });
      expect(r.output).toBe(`${what}: not simulated in cnlab\n`);
      expect(r.exitCode).toBe(1);
      expect(JSON.stringify({ ...engine.state(), time: 0 })).toBe(before);
    });
  }
  it("names the CLI lacks still get the CLI's own errors", () => {
    expect(docker("docker frob")).toMatchObject({ output: "docker: 'frob' is not a docker command.\nSee 'docker --help'\n", exitCode: 1 });
    expect(docker("docker network frob")).toMatchObject({ output: "docker: 'network frob' is not a docker command.\nSee 'docker --help'\n", exitCode: 1 });
    expect(docker("docker ps --foo")).toMatchObject({ output: "unknown flag: --foo\nSee 'docker ps --help'.\n", exitCode: 125 });
    expect(docker("docker run -dx nginx")).toMatchObject({ output: "unknown shorthand flag: 'x' in -x\nSee 'docker run --help'.\n", exitCode: 125 });
    expect(docker("docker run --name")).toMatchObject({ output: "flag needs an argument: --name\nSee 'docker run --help'.\n", exitCode: 125 });
  });
  it("docker container ls/rm/inspect are the same commands as docker ps/rm/inspect", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "docker container ls" }).output).toBe(engine.run({ host: "node1", command: "docker ps" }).output);
    expect(engine.run({ host: "node1", command: "docker container inspect -f '{{.NetworkSettings.IPAddress}}' nginx-2" }).output).toBe("172.17.0.3\n");
    expect(engine.run({ host: "node1", command: "docker container rm -f nginx-2" })).toMatchObject({ output: "nginx-2\n", exitCode: 0 });
  });
  it("shorthand groups and attached values read as the CLI reads them", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "docker run -dit --name=web -p8081:80 nginx" }).exitCode).toBe(0);
    expect(engine.run({ host: "node1", command: "docker ps -aq" }).output.split("\n")).toHaveLength(4);
    expect(engine.run({ host: "node1", command: "docker exec -it web ip -br addr" }).exitCode).toBe(0);
  });
  it("docker logs without a container asks for one, as the CLI does", () => {
    expect(docker("docker logs")).toMatchObject({
      output: `"docker logs" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n`,
      exitCode: 1,
    });
  });
});
