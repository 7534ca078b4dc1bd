/**
 * The API's shapes as the page uses them (docs/sessions-api.md,
 * docs/grading.md; GET /openapi.json has them all). Sessions, commands and
 * the network state are the server's own types, imported as types only (the
 * bundle gets none of the server's code); the others are written here with
 * only what the page reads.
 */
import type { Static } from "typebox";
import type { InterfaceState, NamespaceState, NetworkState } from "../../../server/engine/index.js";
import type { LoggedCommand as LoggedCommandSchema, runCommandSchema, SessionView } from "../../../server/routes/sessions/schema.js";

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

export type Session = SessionView;
export type CommandAnswer = Static<(typeof runCommandSchema)["response"][200]>;
export type LoggedCommand = Static<typeof LoggedCommandSchema>;
export type { NetworkState };
export type StateNamespace = NamespaceState;
export type StateInterface = InterfaceState;

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
