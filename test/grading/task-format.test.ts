/**
 * The graded part of the lab format as the loader enforces it: a check is
 * checked against the one shape its kind names, and references (task ids,
 * dependsOn, hosts, namespaces the solution creates, event fields, regular
 * expressions, answers) are checked before the lab can load. Errors name the
 * file, line, column and field, like every lab-file error.
 */
import { describe, expect, it } from "vitest";
import { LabFileError } from "../../server/labs/lab-file-error.js";
import { parseLabFile } from "../../server/labs/parse-lab-file.js";
import { matchAnswer, matchText, normalizeCommand } from "../../server/labs/matcher.js";
import { minimalLab } from "../helpers/lab-files.js";

const FEEDBACK = "feedback: { en: Not yet., zh: 还没有。 }";

/** minimalLab (23 lines) plus a tasks section, and an optional solution section. */
function labWith(tasks: string, solution = ""): string {
  return `${minimalLab()}tasks:\n${tasks}${solution === "" ? "" : `solution:\n${solution}`}`;
}

function task(id: string, checks: string, extra = ""): string {
  return `  - id: ${id}\n    title: { en: ${id}, zh: 任务 }\n    points: 10\n${extra}    checks:\n${checks}`;
}

function errorOf(text: string): string {
  try {
    parseLabFile(text, "tiny-lab.yaml", "tiny-lab");
  } catch (err) {
    expect(err).toBeInstanceOf(LabFileError);
    return (err as Error).message;
  }
  throw new Error("the lab loaded");
}

describe("tasks in a lab file", () => {
  it("load with every check kind, a solution that creates a namespace, and answers", () => {
    const text = labWith(
      task(
        "all-kinds",
        [
          `      - { kind: reachable, host: node1, namespace: web, to: 10.0.0.1, port: 80, ${FEEDBACK} }`,
          `      - { kind: route, host: node1, dst: default, via: '/^10\\./', ${FEEDBACK}, absent: true }`,
          `      - { kind: neighbour, host: node1, ip: 10.0.0.1, state: '/REACHABLE|STALE/', ${FEEDBACK} }`,
          `      - { kind: fdb, host: node1, bridge: docker0, mac: "02:42:ac:11:00:02", local: false, ${FEEDBACK} }`,
          `      - { kind: address, host: node1, device: eth0, cidr: 10.0.0.2/24, ${FEEDBACK} }`,
          `      - { kind: link, host: node1, name: eth0, up: true, mtu: 1500, type: nic, ${FEEDBACK} }`,
          `      - { kind: nat-rule, host: node1, table: nat, chain: POSTROUTING, rule: "-j MASQUERADE", ${FEEDBACK} }`,
          `      - { kind: socket, host: node1, proto: tcp, local: '/:80$/', ${FEEDBACK} }`,
          `      - { kind: command-ran, host: node1, command: ip addr, exitCode: 0, ${FEEDBACK} }`,
          `      - { kind: trace-seen, event: bridge-flood, host: node1, fields: { egress: vethb4963f3 }, summary: '/broadcast/', ${FEEDBACK} }`,
          `      - { kind: output-answer, answer: '/^docker0$/', ${FEEDBACK} }`,
        ].join("\n") + "\n",
      ),
      `  - { host: node1, command: docker run -d --name web nginx }\n  - answer: { task: all-kinds, value: docker0 }\n`,
    );
    const { lab } = parseLabFile(text, "tiny-lab.yaml", "tiny-lab");
    expect(lab.tasks?.[0]?.checks.map((check) => check.kind)).toHaveLength(11);
    expect(lab.solution).toHaveLength(2);
  });

  it("a check is held to the shape of its kind: an unknown field is named with the fields that kind allows", () => {
    const text = labWith(task("a", `      - { kind: route, host: node1, dst: 10.0.0.0/24, gateway: 10.0.0.1, ${FEEDBACK} }\n`));
    expect(errorOf(text)).toBe("tiny-lab.yaml:29:55 tasks[0].checks[0].gateway: unknown field (allowed here: host, namespace, text, dst, via, dev, table, feedback, absent, kind)");
  });

  it("an unknown kind lists the kinds there are; a missing feedback is named", () => {
    expect(errorOf(labWith(task("a", `      - { kind: ping-succeeds, host: node1, ${FEEDBACK} }\n`)))).toMatch(
      /^tiny-lab\.yaml:29:11 tasks\[0\]\.checks\[0\]\.kind: unknown check kind: must be one of reachable, route, .*, output-answer$/,
    );
    expect(errorOf(labWith(task("a", `      - { kind: address, host: node1, cidr: 10.0.0.2/24 }\n`)))).toBe("tiny-lab.yaml:29:9 tasks[0].checks[0].feedback: required field is missing");
  });

  it("task ids are unique, and dependsOn names an earlier task", () => {
    const check = `      - { kind: command-ran, command: ip addr, ${FEEDBACK} }\n`;
    expect(errorOf(labWith(task("a", check) + task("a", check)))).toBe('tiny-lab.yaml:30:5 tasks[1].id: duplicate task id "a"');
    expect(errorOf(labWith(task("a", check, "    dependsOn: [b]\n") + task("b", check)))).toBe(
      'tiny-lab.yaml:28:17 tasks[0].dependsOn[0]: "b" comes later: a task may depend only on earlier tasks',
    );
    expect(errorOf(labWith(task("a", check, "    dependsOn: [nope]\n")))).toBe('tiny-lab.yaml:28:17 tasks[0].dependsOn[0]: no task "nope"');
  });

  it("hosts must exist, and namespaces exist or be created by the solution", () => {
    expect(errorOf(labWith(task("a", `      - { kind: address, host: node9, cidr: 10.0.0.2/24, ${FEEDBACK} }\n`)))).toBe(
      'tiny-lab.yaml:29:26 tasks[0].checks[0].host: no host "node9" in the topology (hosts: node1)',
    );
    expect(errorOf(labWith(task("a", `      - { kind: address, host: node1, namespace: web, cidr: 10.0.0.2/24, ${FEEDBACK} }\n`)))).toMatch(
      /^tiny-lab\.yaml:29:39 tasks\[0\]\.checks\[0\]\.namespace: host "node1" has no namespace "web", and the solution does not create it/,
    );
  });

  it("regular expressions must compile, and trace-seen fields must belong to the event kind", () => {
    expect(errorOf(labWith(task("a", `      - { kind: neighbour, host: node1, ip: '/10\\.(/', ${FEEDBACK} }\n`)))).toMatch(
      /^tiny-lab\.yaml:29:\d+ tasks\[0\]\.checks\[0\]\.ip: not a valid regular expression: /,
    );
    expect(errorOf(labWith(task("a", `      - { kind: trace-seen, event: arp-request, fields: { egress: eth0 }, ${FEEDBACK} }\n`)))).toBe(
      'tiny-lab.yaml:29:59 tasks[0].checks[0].fields.egress: a arp-request event has no field "egress" (its fields: targetIp, senderIp, senderMac, unicast)',
    );
  });

  it("a task asks at most one question, and the solution answers every question and only questions", () => {
    const question = `      - { kind: output-answer, answer: "42", ${FEEDBACK} }\n`;
    expect(errorOf(labWith(task("a", question + question)))).toMatch(/^tiny-lab\.yaml:\d+:\d+ tasks\[0\]\.checks: a task asks at most one question/);
    expect(errorOf(labWith(task("a", question), `  - { host: node1, command: ip addr }\n`))).toMatch(/^tiny-lab\.yaml:25:5 tasks\[0\]: the solution does not answer task "a"/);
    expect(errorOf(labWith(task("a", `      - { kind: command-ran, command: ip addr, ${FEEDBACK} }\n`), `  - answer: { task: a, value: "42" }\n`))).toBe(
      'tiny-lab.yaml:31:15 solution[0].answer.task: task "a" asks no question (it has no output-answer check)',
    );
    expect(errorOf(labWith(task("a", question), `  - { host: node1, command: 42 }\n`))).toBe("tiny-lab.yaml:31:20 solution[0].command: must be a string");
  });
});

describe("matchers", () => {
  it('compare plain strings exactly, and search "/…/" as a regular expression', () => {
    expect(matchText("docker0", "docker0")).toBe(true);
    expect(matchText("docker0", "docker01")).toBe(false);
    expect(matchText("/^veth/", "veth9c02e56")).toBe(true);
    expect(matchText("/STALE|reachable/i", "REACHABLE")).toBe(true);
    expect(matchText("/^veth/", null)).toBe(false);
    expect(matchText("1500", 1500)).toBe(true);
    expect(matchText("-j MASQUERADE", "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", "substring")).toBe(true);
  });

  it("compare answers trimmed and ignoring case, regular expressions included", () => {
    expect(matchAnswer("vethb4963f3", "  VETHB4963F3 \n")).toBe(true);
    expect(matchAnswer("/^(3|three)$/", "Three")).toBe(true);
    expect(matchAnswer("/^(3|three)$/", "33")).toBe(false);
  });

  it("compare commands with blanks collapsed", () => {
    expect(normalizeCommand("  ip   route  show ")).toBe("ip route show");
  });
});
