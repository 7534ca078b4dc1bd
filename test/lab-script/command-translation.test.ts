/** A session's commands in the script: each in its namespace, docker exec in the container's, the rest as comments. */
import { describe, expect, it } from "vitest";
import { commandLines, translateCommand } from "../../server/lab-script/command-translation.js";
import { ruleWords } from "../../server/lab-script/rule-words.js";

describe("translating a session's commands", () => {
  it("runs a command in its host's namespace, or its container's", () => {
    expect(translateCommand({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" })).toEqual({ kind: "run", suffix: "node1-nginx-1", argv: ["ping", "-c", "1", "172.17.0.3"] });
    expect(translateCommand({ host: "node1", namespace: null, command: "ip route" })).toEqual({ kind: "run", suffix: "node1", argv: ["ip", "route"] });
  });

  it("runs docker exec's command in the container's namespace", () => {
    expect(translateCommand({ host: "node1", namespace: undefined, command: "docker exec -it web-b ss -ltn" })).toEqual({ kind: "run", suffix: "node1-web-b", argv: ["ss", "-ltn"] });
  });

  it("leaves as comments what needs a daemon, and anything with shell syntax", () => {
    expect(translateCommand({ host: "node1", namespace: null, command: "docker run -d --name web nginx" })).toEqual({ kind: "skip", reason: "needs the Docker daemon" });
    expect(translateCommand({ host: "node1", namespace: null, command: "ip route; rm -rf /" }).kind).toBe("skip");
    expect(translateCommand({ host: "node1", namespace: null, command: "echo $(id)" }).kind).toBe("skip");
    expect(commandLines([{ host: "node1", namespace: null, command: "ping -c1 x | tee y" }])).toEqual(["# [1] node1$ ping -c1 x | tee y", "#   not run here: shell syntax is not passed on"]);
  });
});

describe("a session that made dummy devices", () => {
  it("loads the dummy module before a host's first one, and makes the dummy0 the simulated module made in the host's namespace", () => {
    const lines = commandLines([
      { host: "node1", namespace: "nginx-1", command: "ip link add d0 type dummy" },
      { host: "node1", namespace: null, command: "ip link a type dummy" },
      { host: "node2", namespace: null, command: "ip -n x link add d1 type dummy" },
      { host: "node1", namespace: null, command: "ip link show type dummy" },
    ]);
    expect(lines.filter((l) => l === "load_dummy_module")).toHaveLength(2);
    expect(lines.slice(0, 5)).toEqual([
      "# The simulated kernel of node1 loaded its dummy module here, which made dummy0 in node1's own namespace.",
      "load_dummy_module",
      'run_command "${P}node1" ip link add dummy0 type dummy',
      "# [1] node1/nginx-1$ ip link add d0 type dummy",
      'run_command "${P}node1-nginx-1" ip link add d0 type dummy',
    ]);
    expect(lines.slice(5, 7)).toEqual(["# [2] node1$ ip link a type dummy", 'run_command "${P}node1" ip link a type dummy']);
    expect(lines.slice(7, 10)).toEqual([
      "# The simulated kernel of node2 loaded its dummy module here, which made dummy0 in node2's own namespace.",
      "load_dummy_module",
      'run_command "${P}node2" ip link add dummy0 type dummy',
    ]);
  });
});

describe("iptables -S lines as words", () => {
  it("keeps a quoted comment as one word, with its escapes undone", () => {
    expect(ruleWords('-A KUBE-SERVICES -d 10.96.0.100/32 -p tcp -m comment --comment "default/hostnames cluster IP" -j KUBE-SVC-X')).toEqual([
      "-A", "KUBE-SERVICES", "-d", "10.96.0.100/32", "-p", "tcp", "-m", "comment", "--comment", "default/hostnames cluster IP", "-j", "KUBE-SVC-X",
    ]);
    expect(ruleWords('-A X -m comment --comment "a \\"b\\" c" -j RETURN')).toEqual(["-A", "X", "-m", "comment", "--comment", 'a "b" c', "-j", "RETURN"]);
  });
});
