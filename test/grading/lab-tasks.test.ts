/**
 * Every shipped lab is gradable, and its tasks grade what they say: the lab's
 * reference solution earns full marks, an untouched session earns the
 * baseline, and a solution with one typical mistake fails exactly the check
 * written for that mistake, with that check's feedback. Sessions here run on
 * an engine without a server (EngineSession); the grader replays them as it
 * replays stored sessions.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gradeSession, type SessionGrade } from "../../server/grading/grade-session.js";
import type { LabFile } from "../../server/labs/lab-schema.js";
import { CHECK_KINDS, isSolutionAnswer, type SolutionStep } from "../../server/labs/task-schema.js";
import { loadLab } from "../engine/helpers/lab-engine.js";
import { EngineSession } from "../helpers/engine-session.js";

const LABS = readdirSync("labs")
  .filter((file) => file.endsWith(".yaml"))
  .map((file) => file.replace(/\.yaml$/, ""));

/** A typical mistake: one solution step done differently, and the one check that must catch it. */
interface Mistake {
  what: string;
  /** A command of the solution (or the task whose answer) to change, and what the student did instead. */
  step: { command: string } | { answer: string };
  becomes: string;
  fails: { task: string; check: number };
}

const MISTAKES: Record<string, Mistake> = {
  "host-network": {
    what: "starts the second nginx on the default network, so nothing conflicts",
    step: { command: "docker run --net=host --name nginx-host-2 nginx" },
    becomes: "docker run --name nginx-host-2 nginx",
    fails: { task: "port-conflict", check: 0 },
  },
  "bridge-two-containers": {
    what: "names nginx-1's port as the one docker0 learned nginx-2 on",
    step: { answer: "which-port" },
    becomes: "veth9c02e56",
    fails: { task: "which-port", check: 1 },
  },
  "host-to-container": {
    what: "fetches the page from port 8080, where nothing listens inside the container",
    step: { command: "curl http://172.17.0.2/" },
    becomes: "curl http://172.17.0.2:8080/",
    fails: { task: "curl-nginx", check: 0 },
  },
  "container-to-other-host": {
    what: "blocks port 8080 in INPUT, which DNATed packets never cross",
    step: { command: "iptables -I DOCKER-USER -s 10.168.0.3 -d 172.17.0.2 -j DROP" },
    becomes: "iptables -I INPUT -p tcp --dport 8080 -j DROP",
    fails: { task: "block-node2", check: 0 },
  },
  "flannel-vxlan": {
    what: "adds node3's route without onlink, which the kernel refuses",
    step: { command: "ip route add 10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink" },
    becomes: "ip route add 10.244.3.0/24 via 10.244.3.0 dev flannel.1",
    fails: { task: "add-node3", check: 0 },
  },
  "flannel-udp": {
    what: "lists node2's TCP sockets instead of its UDP ones",
    step: { command: "ss -lun" },
    becomes: "ss -ltn",
    fails: { task: "flanneld-socket", check: 0 },
  },
  "host-gw": {
    what: "sends node3's pod subnet to node2",
    step: { command: "ip route add 10.244.3.0/24 via 10.168.0.4 dev eth0" },
    becomes: "ip route add 10.244.3.0/24 via 10.168.0.3 dev eth0",
    fails: { task: "add-node3", check: 0 },
  },
  "host-gw-routed": {
    what: "pings c1's own gateway instead of c3",
    step: { command: "ping -c 1 -W 1 10.244.2.2" },
    becomes: "ping -c 1 -W 1 10.244.1.1",
    fails: { task: "where-it-dies", check: 0 },
  },
  calico: {
    what: "pings an unused address of node2's block, which dies on node2",
    step: { command: "ping -c 1 -W 1 10.244.1.50" },
    becomes: "ping -c 1 -W 1 10.244.2.50",
    fails: { task: "blackhole", check: 0 },
  },
  "service-clusterip": {
    what: "answers the Service's port, which the DNAT replaced before the pod saw the SYN",
    step: { answer: "who-answers" },
    becomes: "80",
    fails: { task: "who-answers", check: 0 },
  },
  "service-nodeport": {
    what: "switches to the Local policy but calls only node2 again, which drops it",
    step: { command: "curl -s http://10.168.0.2:30080/" },
    becomes: "curl -s --connect-timeout 1 http://10.168.0.3:30080/",
    fails: { task: "keep-client", check: 0 },
  },
  "cni-bridge-plugin": {
    what: "answers the lowest free address of node2's lease, which host-local skips while it goes round",
    step: { answer: "round-robin" },
    becomes: "10.244.2.3",
    fails: { task: "round-robin", check: 2 },
  },
  "service-hairpin": {
    what: "answers web's own address, which the masquerade replaced before web saw the SYN",
    step: { answer: "seen-source" },
    becomes: "10.244.1.3",
    fails: { task: "seen-source", check: 0 },
  },
  "cluster-dns": {
    what: "names the first candidate, the one with the namespace's suffix",
    step: { answer: "second-query" },
    becomes: "nope.default.svc.cluster.local",
    fails: { task: "second-query", check: 1 },
  },
  "network-policy": {
    what: "adds the podSelector as a second item again, which keeps the OR",
    step: { command: "kubectl patch networkpolicy web-allow-monitoring --type merge -p '{\"spec\":{\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"ops\"}},\"podSelector\":{\"matchLabels\":{\"app\":\"prometheus\"}}}],\"ports\":[{\"protocol\":\"TCP\",\"port\":8080}]}]}}'" },
    becomes: "kubectl patch networkpolicy web-allow-monitoring --type merge -p '{\"spec\":{\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"ops\"}}},{\"podSelector\":{\"matchLabels\":{\"app\":\"prometheus\"}}}],\"ports\":[{\"protocol\":\"TCP\",\"port\":8080}]}]}}'",
    fails: { task: "and-not-or", check: 1 },
  },
  "service-debugging": {
    what: "names the ready pod, the one the endpoints do list",
    step: { answer: "missing-endpoint" },
    becomes: "web-6f7b9-xk2lp",
    fails: { task: "missing-endpoint", check: 0 },
  },
};

/** What an untouched session scores: every shipped lab asks the student to do something for each task. */
const BASELINE: Record<string, number> = Object.fromEntries(LABS.map((id) => [id, 0]));

/** Two seeds: names and MACs Docker makes up differ, and no check may depend on them. */
const SEEDS = [1, 982_451];

function withMistake(solution: readonly SolutionStep[], mistake: Mistake): SolutionStep[] {
  let changed = 0;
  const steps = solution.map((step): SolutionStep => {
    if ("answer" in mistake.step && isSolutionAnswer(step) && step.answer.task === mistake.step.answer) {
      changed++;
      return { answer: { task: step.answer.task, value: mistake.becomes } };
    }
    if ("command" in mistake.step && !isSolutionAnswer(step) && step.command === mistake.step.command) {
      changed++;
      return { ...step, command: mistake.becomes };
    }
    return step;
  });
  expect(changed, `the mistake must change exactly one solution step`).toBe(1);
  return steps;
}

async function grade(lab: LabFile, seed: number, steps: readonly SolutionStep[]): Promise<SessionGrade> {
  const session = EngineSession.ofLab(lab.id, seed).play(steps);
  return gradeSession(lab.tasks ?? [], session.evidence());
}

function describeGrade(grade: SessionGrade): string {
  return grade.tasks
    .flatMap((task) => task.checks.filter((check) => check.status !== "passed").map((check) => `${task.taskId}#${check.index} ${check.kind} ${check.status}: ${check.feedback?.en}`))
    .join("\n");
}

describe("lab tasks", () => {
  it("every shipped lab has tasks, a reference solution and a mistake to test; together they use every check kind", () => {
    const kinds = new Set<string>();
    for (const id of LABS) {
      const lab = loadLab(id);
      expect(lab.tasks?.length ?? 0, id).toBeGreaterThanOrEqual(3);
      expect(lab.solution?.length ?? 0, id).toBeGreaterThan(0);
      expect(MISTAKES[id], `a mistake for ${id}`).toBeDefined();
      for (const task of lab.tasks ?? []) for (const check of task.checks) kinds.add(check.kind);
    }
    expect([...kinds].sort()).toEqual([...CHECK_KINDS].sort());
  });

  it("feedback never gives away the answer the solution submits", () => {
    for (const id of LABS) {
      const lab = loadLab(id);
      for (const step of lab.solution ?? []) {
        if (!isSolutionAnswer(step)) continue;
        const task = lab.tasks?.find((t) => t.id === step.answer.task);
        for (const check of task?.checks ?? []) {
          // As a word of its own: "0" may appear inside "eth0".
          const answer = new RegExp(`(^|[^\\w.])${step.answer.value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w.])`, "i");
          for (const text of [check.feedback.en, check.feedback.zh, task!.title.en, task!.title.zh]) {
            expect(text, `${id} ${task!.id}`).not.toMatch(answer);
          }
        }
      }
    }
  });

  for (const id of LABS) {
    describe(id, () => {
      const lab = loadLab(id);

      it("the reference solution earns full marks", async () => {
        for (const seed of SEEDS) {
          const result = await grade(lab, seed, lab.solution ?? []);
          expect(result.score, `seed ${seed}:\n${describeGrade(result)}`).toBe(result.maxScore);
          expect(result.maxScore).toBeGreaterThan(0);
        }
      });

      it("an untouched session earns the baseline, each failing check with its lab's feedback", async () => {
        const result = await grade(lab, SEEDS[0]!, []);
        expect(result.score).toBe(BASELINE[id]);
        for (const [t, task] of result.tasks.entries()) {
          for (const check of task.checks) {
            if (check.status === "failed") expect(check.feedback).toEqual(lab.tasks![t]!.checks[check.index]!.feedback);
            if (check.status === "skipped") expect(check.feedback?.en).toMatch(/^Finish the task ".+" first\.$/);
          }
        }
      });

      it(`one mistake fails exactly its check: the student ${MISTAKES[id]?.what}`, async () => {
        const mistake = MISTAKES[id]!;
        for (const seed of SEEDS) {
          const result = await grade(lab, seed, withMistake(lab.solution ?? [], mistake));
          const notPassed = result.tasks.flatMap((task) => task.checks.filter((check) => check.status !== "passed").map((check) => ({ task: task.taskId, check: check.index, status: check.status, feedback: check.feedback })));
          const task = lab.tasks!.find((t) => t.id === mistake.fails.task)!;
          expect(notPassed, `seed ${seed}`).toEqual([{ ...mistake.fails, status: "failed", feedback: task.checks[mistake.fails.check]!.feedback }]);
          expect(result.score).toBe(result.maxScore - task.points);
        }
      });
    });
  }
});
