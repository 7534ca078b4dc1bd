/**
 * The API's shapes as the page uses them (docs/sessions-api.md,
 * docs/grading.md; GET /openapi.json has them all). Only what the page reads.
 */

export type Localized = { en: string; zh: string };

export interface LabSummary {
  id: string;
  title: Localized;
  summary: Localized;
  difficulty: "beginner" | "intermediate" | "advanced";
  tags: string[];
  chapter?: string;
}

export interface WalkthroughStep {
  host: string;
  namespace?: string;
  command: string;
  explain: Localized;
}

export interface LabTask {
  id: string;
  title: Localized;
  text: Localized;
  points: number;
  hints?: Localized[];
  dependsOn?: string[];
  takesAnswer: boolean;
}

export interface TopologyNic {
  name: string;
  segment?: string;
}

export interface TopologyHost {
  name: string;
  nics?: TopologyNic[];
  containers?: Array<{ name: string }>;
  namespaces?: Array<{ name: string } | string>;
}

export interface Lab extends LabSummary {
  texts: { intro: Localized; background?: Localized; conclusion?: Localized };
  topology: { segments?: Array<{ name: string; description?: string }>; hosts: TopologyHost[] };
  walkthrough: WalkthroughStep[];
  tasks: LabTask[];
}

export interface Session {
  id: string;
  labId: string;
  owner: { id: string; name: string };
  commandCount: number;
  nextSeq: number;
  createdAt: string;
  updatedAt: string;
  lastCommandAt: string | null;
  archivedAt: string | null;
  live: boolean;
}

export interface CommandAnswer {
  index: number;
  output: string;
  exitCode: number;
  events: { from: number; to: number };
  at: number;
  time: number;
  interruption: unknown;
}

export interface LoggedCommand {
  index: number;
  host: string;
  namespace: string | null;
  command: string;
  output: string;
  exitCode: number;
  at: number;
  events: { from: number; to: number };
  createdAt: string;
}

export interface StateInterface {
  ifindex: number;
  name: string;
  kind: string;
  mac: string;
  mtu: number;
  up: boolean;
  lowerUp: boolean;
  master: string | null;
  peer: { namespace: string; name: string; host?: string } | null;
  addresses: string[];
  stats: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number };
}

export interface StateNamespace {
  name: string;
  forwarding: boolean;
  interfaces: StateInterface[];
  routes: Array<{ table: string; text: string; dst: string; via: string | null; dev: string | null }>;
  neighbours: Array<{ ip: string; dev: string; mac: string | null; state: string }>;
  bridges: Array<{ name: string; fdb: Array<{ mac: string; port: string; local: boolean; ageSeconds: number }> }>;
  sockets: Array<Record<string, unknown>>;
  /** Not in the state API yet: shown when present. */
  conntrack?: Array<Record<string, unknown>>;
  iptables?: Array<Record<string, unknown>>;
}

export interface StateHost {
  name: string;
  namespaces: StateNamespace[];
  containers: Array<{ id: string; name: string; namespace: string; running: boolean; address: string | null; image: string }>;
}

export interface NetworkState {
  time: number;
  hosts: StateHost[];
}

export interface CheckResult {
  index: number;
  kind: string;
  status: "passed" | "failed" | "skipped";
  passed: boolean;
  points: number;
  feedback: Localized | null;
}

export interface TaskResult {
  taskId: string;
  points: number;
  earned: number;
  status: "passed" | "failed" | "skipped";
  passed: boolean;
  checks: CheckResult[];
  title?: Localized;
}

export interface Progress {
  sessionId: string;
  labId: string;
  score: number;
  maxScore: number;
  tasks: TaskResult[];
}

export interface TokenRow {
  id: string;
  name: string;
  role: "student" | "instructor";
  createdAt: string;
}

export interface GradingRun {
  id: string;
  labId: string;
  status: "running" | "done" | "interrupted";
  createdAt: string;
  finishedAt: string | null;
  progress: { total: number; graded: number };
  maxScore: number;
  tasks?: Array<{ id: string; title: Localized; points: number }>;
  sessions?: Array<{ sessionId: string; owner: { id: string; name: string }; score: number; maxScore: number; error: string | null; tasks: TaskResult[] }>;
}

export interface Me {
  id: string;
  name: string;
  role: "student" | "instructor";
}
