/**
 * The lab bench: the guide on the left; the diagram over the terminals in
 * the middle; the trace player, kernel tables and captures on the right.
 * Opened by lab (/labs/:id: the student's latest session of it, or a new
 * one) or by session (/sessions/:id: an instructor watching a student's,
 * read-only and live).
 *
 * Data: the lab (texts, topology), the session's command log, /state after
 * every command, /progress after every command and answer, and every trace
 * event from the WebSocket, resumed from the last seq when it drops.
 */
import { useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api/client.js";
import type { CommandAnswer, Lab, LoggedCommand, Me, NetworkState, Progress, Session, WalkthroughStep } from "../api/types.js";
import { loadToken } from "../auth/token-store.js";
import { CapturesPanel } from "../bench/captures-panel.js";
import { GuidePanel } from "../bench/guide-panel.js";
import { ShellTerminal, type ShellTarget } from "../bench/shell-terminal.js";
import { TablesPanel } from "../bench/tables-panel.js";
import { TopologyView } from "../bench/topology-view.js";
import { TracePanel } from "../bench/trace-panel.js";
import { TraceSocket, type SocketStatus } from "../bench/trace-socket.js";
import { useI18n } from "../i18n.js";
import { navigate } from "../router.js";
import type { CompletionNames } from "../terminal/completion.js";
import { knownFiles } from "../terminal/known-files.js";
import { buildGraph, lightsFor } from "../topology/topology-graph.js";
import { decisionOf, EMPTY_FILTER, matchesFilter, type TraceEvent, type TraceFilter } from "../trace/trace-event.js";
import { INITIAL_PLAYER, playerReducer, tickMs } from "../trace/trace-player.js";
import { pure, useStable } from "../ui/pure.js";

interface Target extends ShellTarget {
  key: string;
  label: string;
}

function targetsOf(state: NetworkState | null, lab: Lab | null): Target[] {
  const out: Target[] = [];
  if (state !== null) {
    for (const host of state.hosts) {
      const containers = new Set(host.containers.map((c) => c.namespace));
      for (const ns of host.namespaces) {
        if (ns.name === "root") out.push({ key: `${host.name}/root`, label: host.name, host: host.name, namespace: null, promptUser: host.name, promptDir: "~" });
        else if (containers.has(ns.name)) out.push({ key: `${host.name}/${ns.name}`, label: ns.name, host: host.name, namespace: ns.name, promptUser: ns.name, promptDir: "/" });
        else out.push({ key: `${host.name}/${ns.name}`, label: `${host.name} › ${ns.name}`, host: host.name, namespace: ns.name, promptUser: host.name, promptDir: "~" });
      }
    }
  } else if (lab !== null) {
    for (const host of lab.topology.hosts) out.push({ key: `${host.name}/root`, label: host.name, host: host.name, namespace: null, promptUser: host.name, promptDir: "~" });
  }
  return out;
}

const keyOf = (host: string, namespace: string | null | undefined) => `${host}/${namespace === undefined || namespace === null || namespace === "root" ? "root" : namespace}`;

export function BenchPage(props: { me: Me; labId?: string; sessionId?: string; onTitle: (title: string) => void }) {
  const { t, pick } = useI18n();
  const [lab, setLab] = useState<Lab | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [netState, setNetState] = useState<NetworkState | null>(null);
  const [stateVersion, setStateVersion] = useState(0);
  const [commands, setCommands] = useState<LoggedCommand[]>([]);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const events = useRef<TraceEvent[]>([]);
  const [eventsVersion, setEventsVersion] = useState(0);
  const [socketStatus, setSocketStatus] = useState<SocketStatus>("connecting");
  const [commandIndex, setCommandIndex] = useState(-1);
  const [filter, setFilter] = useState<TraceFilter>(EMPTY_FILTER);
  const [player, dispatch] = useReducer(playerReducer, INITIAL_PLAYER);
  const [active, setActive] = useState("");
  const [rightTab, setRightTab] = useState<"trace" | "tables" | "captures">("trace");
  const [tablesWhere, setTablesWhere] = useState("");
  const [busy, setBusy] = useState(false);
  const shells = useRef(new Map<string, ShellTerminal>());
  const stateRef = useRef<NetworkState | null>(null);
  stateRef.current = netState;

  const readOnly = session !== null && props.me.role === "instructor" && session.owner.id !== props.me.id;

  // Open the lab's session (or make one), or the session asked for.
  useEffect(() => {
    (async () => {
      let s: Session;
      let l: Lab;
      if (props.sessionId !== undefined) {
        s = await api<Session>(`/api/sessions/${props.sessionId}`);
        l = await api<Lab>(`/api/labs/${s.labId}`);
      } else {
        const labId = props.labId!;
        l = await api<Lab>(`/api/labs/${labId}`);
        const fresh = new URLSearchParams(location.search).has("new");
        const { sessions } = await api<{ sessions: Session[] }>(`/api/sessions?labId=${encodeURIComponent(labId)}&ownerId=${encodeURIComponent(props.me.id)}&limit=1`);
        s = !fresh && sessions[0] !== undefined ? sessions[0] : await api<Session>("/api/sessions", { method: "POST", body: { labId } });
        if (fresh) navigate(`/labs/${labId}`, true);
      }
      setLab(l);
      setSession(s);
    })().catch((err: Error) => setError(err instanceof ApiError ? `${err.code}: ${err.message}` : err.message));
  }, [props.labId, props.sessionId]);

  useEffect(() => {
    if (lab !== null) props.onTitle(pick(lab.title));
  }, [lab, pick]);

  const refreshState = async (id: string) => {
    const s = await api<NetworkState>(`/api/sessions/${id}/state`);
    setNetState(s);
    setStateVersion((v) => v + 1);
  };
  const refreshProgress = async (id: string) => {
    setProgress(await api<Progress>(`/api/sessions/${id}/progress`).catch(() => null));
  };
  const refreshCommands = async (id: string) => {
    const all: LoggedCommand[] = [];
    for (let from = 0; ; ) {
      const page = await api<{ commands: LoggedCommand[]; next: number; total: number }>(`/api/sessions/${id}/commands?from=${from}&limit=100`);
      all.push(...page.commands);
      if (page.commands.length === 0 || page.next >= page.total) break;
      from = page.next;
    }
    setCommands(all);
    return all;
  };

  // Once the session is known: its log, state, progress, and the trace stream.
  useEffect(() => {
    if (session === null) return;
    const id = session.id;
    void (async () => {
      const log = await refreshCommands(id);
      if (log.length > 0) setCommandIndex(log.at(-1)!.index);
      await Promise.all([refreshState(id), refreshProgress(id)]);
    })().catch((err: Error) => setError(err.message));
    let pending: ReturnType<typeof setTimeout> | undefined;
    let flush: ReturnType<typeof setTimeout> | undefined;
    const socket = new TraceSocket({
      sessionId: id,
      token: loadToken() ?? "",
      fromSeq: 0,
      onStatus: setSocketStatus,
      onEvents: (batch) => {
        for (const e of batch) events.current.push(e);
        // A replay comes in pages of 500: the page re-renders at most every 150 ms, not per page.
        if (flush === undefined) {
          flush = setTimeout(() => {
            flush = undefined;
            setEventsVersion((v) => v + 1);
          }, 150);
        }
        // Watching someone else's session: their commands show up as their events do.
        if (readOnlyRef.current) {
          clearTimeout(pending);
          pending = setTimeout(() => {
            void refreshCommands(id).then((log) => log.length > 0 && setCommandIndex(log.at(-1)!.index));
            void refreshState(id);
            void refreshProgress(id);
          }, 400);
        }
      },
    });
    (window as unknown as { cnlabTraceSocket?: TraceSocket }).cnlabTraceSocket = socket;
    return () => {
      clearTimeout(pending);
      clearTimeout(flush);
      socket.close();
    };
  }, [session?.id]);
  const readOnlyRef = useRef(false);
  readOnlyRef.current = readOnly;

  // A watched session can also change without trace events (a command that caused none): look every few seconds.
  useEffect(() => {
    if (!readOnly || session === null) return;
    const timer = setInterval(() => {
      void refreshCommands(session.id);
    }, 4000);
    return () => clearInterval(timer);
  }, [readOnly, session?.id]);

  const targets = useMemo(() => targetsOf(netState, lab), [netState, lab]);
  useEffect(() => {
    if (targets.length > 0 && !targets.some((x) => x.key === active)) {
      // The first walkthrough step's place, else the first host.
      const first = lab?.walkthrough[0];
      const preferred = first === undefined ? undefined : keyOf(first.host, first.namespace);
      setActive(targets.find((x) => x.key === preferred)?.key ?? targets[0]!.key);
    }
  }, [targets]);

  const graph = useMemo(() => (netState === null ? null : buildGraph(netState, lab?.topology ?? null)), [netState, lab]);

  const commandEvents = useMemo(() => {
    const c = commands.find((x) => x.index === commandIndex);
    // A copy: the array grows in place as events arrive, and the memos below compare by reference.
    if (commandIndex === -1 || c === undefined) return events.current.slice();
    return events.current.filter((e) => e.seq >= c.events.from && e.seq < c.events.to);
  }, [eventsVersion, commandIndex, commands]);
  const shown = useMemo(() => commandEvents.filter((e) => matchesFilter(e, filter)), [commandEvents, filter]);
  const filterKey = JSON.stringify(filter);
  useEffect(() => dispatch({ type: "load", count: shown.length }), [commandIndex, filterKey]);
  useEffect(() => dispatch({ type: "grow", count: shown.length }), [shown.length]);
  useEffect(() => {
    if (!player.playing) return;
    const timer = setInterval(() => dispatch({ type: "tick" }), tickMs(player.speed));
    return () => clearInterval(timer);
  }, [player.playing, player.speed]);

  const selected = player.cursor >= 0 ? (shown[player.cursor] ?? null) : null;
  const lit = useMemo(() => (selected === null || graph === null ? null : lightsFor(selected, graph)), [selected, graph]);
  const hosts = useMemo(() => (netState?.hosts ?? []).map((h) => h.name), [netState]);
  const devices = useMemo(() => [...new Set((netState?.hosts ?? []).flatMap((h) => h.namespaces.flatMap((ns) => ns.interfaces.map((d) => d.name))))].sort(), [netState]);

  const names = useStable((target: Target): CompletionNames => {
    const host = stateRef.current?.hosts.find((h) => h.name === target.host);
    const ns = host?.namespaces.find((n) => n.name === (target.namespace ?? "root"));
    const containers = new Set(host?.containers.map((c) => c.namespace));
    return {
      devices: ns?.interfaces.map((d) => d.name) ?? [],
      bridges: ns?.interfaces.filter((d) => d.kind === "bridge").map((d) => d.name) ?? [],
      containers: host?.containers.map((c) => c.name) ?? [],
      namespaces: host?.namespaces.filter((n) => n.name !== "root" && !containers.has(n.name)).map((n) => n.name) ?? [],
      kube: stateRef.current?.kubernetes ?? null,
      files: knownFiles(stateRef.current, target.host, target.namespace),
    };
  });

  const run = useStable(async (target: Target, command: string): Promise<{ index: number; output: string } | { error: string }> => {
    if (session === null) return { error: "no session" };
    setBusy(true);
    try {
      const body = target.namespace === null ? { host: target.host, command } : { host: target.host, namespace: target.namespace, command };
      const answer = await api<CommandAnswer>(`/api/sessions/${session.id}/commands`, { method: "POST", body });
      const logged: LoggedCommand = { index: answer.index, host: target.host, namespace: target.namespace, command, output: answer.output, exitCode: answer.exitCode, at: answer.at, events: answer.events, interruption: answer.interruption, createdAt: new Date().toISOString() };
      setCommands((list) => [...list.filter((c) => c.index !== answer.index), logged].sort((a, b) => a.index - b.index));
      setCommandIndex(answer.index);
      setTablesWhere(target.key);
      void refreshState(session.id);
      void refreshProgress(session.id);
      return { index: answer.index, output: answer.output };
    } catch (err) {
      return { error: err instanceof ApiError ? `cnlab: ${err.message} (${err.code})` : String(err) };
    } finally {
      setBusy(false);
    }
  });
  const register = useStable((key: string, shell: ShellTerminal | null) => {
    if (shell === null) shells.current.delete(key);
    else shells.current.set(key, shell);
  });

  const runStep = useStable(async (step: WalkthroughStep) => {
    const key = keyOf(step.host, step.namespace);
    setActive(key);
    // A terminal is made the first time its tab shows: give it a moment.
    for (let i = 0; i < 50 && !shells.current.has(key); i++) await new Promise((r) => setTimeout(r, 20));
    const shell = shells.current.get(key);
    if (shell === undefined) return;
    shell.focus();
    await shell.typeAndRun(step.command);
  });

  const answer = useStable(async (taskId: string, value: string) => {
    if (session === null) return;
    await api(`/api/sessions/${session.id}/answers`, { method: "POST", body: { taskId, value } });
    await refreshProgress(session.id);
  });

  if (error) return <div class="page error">{error}</div>;
  if (lab === null || session === null) return <div class="page muted">…</div>;

  return (
    <div class="bench-wrap" data-testid="bench" data-session={session.id}>
      {readOnly && (
        <div class="banner" data-testid="read-only">
          {session.owner.name} · {pick(lab.title)} · {t("readOnly")}
        </div>
      )}
      <div class="bench">
        <section aria-label={t("guide")}>
          <GuidePanel lab={lab} commands={commands} progress={progress} readOnly={readOnly} busy={busy} onRunStep={runStep} onAnswer={answer} />
        </section>
        <section class="center">
          <TopologyView graph={graph} lit={lit} moveMs={player.playing && tickMs(player.speed) < 500 ? 0 : 250} decision={selected === null ? null : (decisionOf(selected) ?? { label: selected.kind, text: selected.summary })} />
          <div class="terminals">
            <div class="tabs" role="tablist" aria-label={t("terminal")}>
              {targets.map((x) => (
                <button
                  key={x.key}
                  role="tab"
                  aria-selected={x.key === active}
                  data-target={x.key}
                  onClick={() => {
                    setActive(x.key);
                    setTimeout(() => shells.current.get(x.key)?.focus(), 0);
                  }}
                >
                  {x.label}
                </button>
              ))}
              <span class="grow" />
              {busy && <span class="busy">{t("running")}</span>}
              <span class="status-dot" data-testid="socket-status">
                {t("trace")}: {socketStatus === "live" ? `● ${t("live")}` : socketStatus === "reconnecting" ? t("reconnecting") : socketStatus}
              </span>
            </div>
            <div class="terminal-host">
              {targets.map((x) => (
                <TerminalPane
                  key={x.key}
                  target={x}
                  visible={x.key === active}
                  readOnly={readOnly}
                  commands={commands}
                  run={run}
                  names={names}
                  register={register}
                />
              ))}
            </div>
          </div>
        </section>
        <section aria-label={t("trace")}>
          <div class="tabs" role="tablist">
            <button role="tab" aria-selected={rightTab === "trace"} onClick={() => setRightTab("trace")}>
              {t("trace")}
            </button>
            <button role="tab" aria-selected={rightTab === "tables"} onClick={() => setRightTab("tables")} data-testid="tables-tab">
              {t("tables")}
            </button>
            <button role="tab" aria-selected={rightTab === "captures"} onClick={() => setRightTab("captures")} data-testid="captures-tab">
              {t("captures")}
            </button>
          </div>
          {rightTab === "trace" && (
            <TracePanel
              sessionId={session.id}
              commands={commands}
              commandIndex={commandIndex}
              onCommand={setCommandIndex}
              filter={filter}
              onFilter={setFilter}
              hosts={hosts}
              devices={devices}
              shown={shown}
              player={player}
              dispatch={dispatch}
            />
          )}
          {rightTab === "tables" && (
            <div class="scroll">
              <TablesPanel state={netState} stateVersion={stateVersion} where={tablesWhere || active} onWhere={setTablesWhere} />
            </div>
          )}
          {rightTab === "captures" && <CapturesPanel sessionId={session.id} state={netState} events={events.current} eventsVersion={eventsVersion} />}
        </section>
      </div>
    </div>
  );
}

// Pure: a step of the trace player re-renders the bench, and a terminal has nothing new to show then.
const TerminalPane = pure(function TerminalPane(props: {
  target: Target;
  visible: boolean;
  readOnly: boolean;
  commands: LoggedCommand[];
  run: (target: Target, command: string) => Promise<{ index: number; output: string } | { error: string }>;
  names: (target: Target) => CompletionNames;
  register: (key: string, shell: ShellTerminal | null) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const shell = useRef<ShellTerminal | null>(null);
  // The latest callbacks, for a terminal made once.
  const latest = useRef(props);
  latest.current = props;

  // Made the first time its tab is shown: a lab with many containers does not start a terminal per container at load.
  const [wanted, setWanted] = useState(props.visible);
  useEffect(() => {
    if (props.visible) setWanted(true);
  }, [props.visible]);

  useEffect(() => {
    if (!wanted) return;
    const s = new ShellTerminal(box.current!, {
      target: props.target,
      readOnly: props.readOnly,
      run: (command) => latest.current.run(latest.current.target, command),
      names: () => latest.current.names(latest.current.target),
    });
    shell.current = s;
    props.register(props.target.key, s);
    s.showLog(latest.current.commands.filter((c) => keyOf(c.host, c.namespace) === props.target.key));
    // Fit only when the size really changed: measuring the font is the costly part of a fit.
    let size = "";
    const observer = new ResizeObserver(([entry]) => {
      const next = `${Math.round(entry!.contentRect.width)}x${Math.round(entry!.contentRect.height)}`;
      if (next === size) return;
      size = next;
      s.resize();
    });
    observer.observe(box.current!);
    return () => {
      observer.disconnect();
      props.register(props.target.key, null);
      shell.current = null;
      s.dispose();
    };
  }, [props.readOnly, wanted]);

  useEffect(() => {
    const mine = props.commands.filter((c) => keyOf(c.host, c.namespace) === props.target.key);
    shell.current?.showLog(mine);
  }, [props.commands]);

  useEffect(() => {
    if (props.visible) shell.current?.resize();
  }, [props.visible]);

  return <div class={`pane${props.visible ? " visible" : ""}`} ref={box} data-terminal={props.target.key} />;
});
