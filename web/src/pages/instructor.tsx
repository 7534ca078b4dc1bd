/**
 * The instructor's screens: make a class's tokens at once (names in, a
 * printable card per student out: name, join link and its QR code), list and revoke tokens, follow a lab's sessions
 * (progress, last activity, watch live), grade a lab (progress of the run,
 * the per-task table, CSV and JUnit), and upload a lab file with its
 * validation errors shown at their line and column.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, download } from "../api/client.js";
import type { GradingRun, LabSummary, Progress, Session, TokenRow } from "../api/types.js";
import { joinQrSvg } from "../auth/join-qr.js";
import { joinLink } from "../auth/token-store.js";
import { useI18n } from "../i18n.js";
import { onLinkClick } from "../router.js";

const TABS = ["class", "tokens", "sessions", "grading", "labs"] as const;

const message = (err: unknown) => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

export function InstructorPage(props: { tab: string }) {
  const { t } = useI18n();
  const tab = (TABS as readonly string[]).includes(props.tab) ? props.tab : "class";
  const titles: Record<(typeof TABS)[number], string> = { class: t("classes"), tokens: t("tokens"), sessions: t("sessions"), grading: t("grading"), labs: t("customLabs") };
  return (
    <div class="page">
      <nav class="itabs">
        {TABS.map((x) => (
          <a key={x} href={`/instructor/${x}`} class={x === tab ? "active" : ""} onClick={onLinkClick(`/instructor/${x}`)}>
            {titles[x]}
          </a>
        ))}
      </nav>
      {tab === "class" && <ClassTab />}
      {tab === "tokens" && <TokensTab />}
      {tab === "sessions" && <SessionsTab />}
      {tab === "grading" && <GradingTab />}
      {tab === "labs" && <LabsTab />}
    </div>
  );
}

function useLabs(): LabSummary[] {
  const [labs, setLabs] = useState<LabSummary[]>([]);
  useEffect(() => {
    void api<{ labs: LabSummary[] }>("/api/labs").then((r) => setLabs(r.labs));
  }, []);
  return labs;
}

function LabSelect(props: { labs: LabSummary[]; value: string; onChange: (id: string) => void; all?: boolean }) {
  const { t, pick } = useI18n();
  return (
    <label>
      {t("lab")}{" "}
      <select value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)} data-testid="lab-select">
        {props.all && <option value="">{t("any")}</option>}
        {props.labs.map((l) => (
          <option key={l.id} value={l.id}>
            {pick(l.title)}
          </option>
        ))}
      </select>
    </label>
  );
}

function ClassTab() {
  const { t } = useI18n();
  const [names, setNames] = useState("");
  const [made, setMade] = useState<Array<{ name: string; link: string; qr: string } | { name: string; error: string }>>([]);
  const [working, setWorking] = useState(false);
  const create = async () => {
    setWorking(true);
    const list = [...new Set(names.split("\n").map((n) => n.trim()).filter(Boolean))];
    const out: typeof made = [];
    for (const name of list) {
      try {
        const r = await api<{ token: string }>("/api/tokens", { method: "POST", body: { name, role: "student" } });
        const link = joinLink(location.origin, r.token);
        out.push({ name, link, qr: await joinQrSvg(link) });
      } catch (err) {
        out.push({ name, error: message(err) });
      }
      setMade([...out]);
    }
    setWorking(false);
  };
  return (
    <>
      <h1 class="no-print">{t("classes")}</h1>
      <label class="no-print">
        {t("namesPrompt")}
        <textarea class="names" value={names} onInput={(e) => setNames((e.target as HTMLTextAreaElement).value)} data-testid="class-names" placeholder={"李雷\n韩梅梅\nLucy"} />
      </label>
      <div class="row-actions">
        <button class="primary" disabled={working || names.trim() === ""} onClick={() => void create()} data-testid="create-class">
          {t("createClass")}
        </button>
        {made.length > 0 && <button onClick={() => window.print()}>{t("print")}</button>}
      </div>
      {made.length > 0 && (
        <>
          <h2 class="no-print">{t("joinLinks")}</h2>
          {/* One card per student; printed, the page keeps only the cards (styles.css, @media print). */}
          <div class="join-cards" data-testid="join-links">
            {made.map((m) =>
              "error" in m ? (
                <div class="join-card" key={m.name}>
                  <h3>{m.name}</h3>
                  <p class="error">{m.error}</p>
                </div>
              ) : (
                <div class="join-card" key={m.name} data-testid="join-card">
                  <h3>{m.name}</h3>
                  {/* The library's own SVG markup, made from nothing but the link. */}
                  <div class="qr" role="img" aria-label={`QR: ${m.name}`} data-qr-for={m.link} dangerouslySetInnerHTML={{ __html: m.qr }} />
                  <p class="joinlink" data-join={m.link}>
                    {m.link}
                  </p>
                  <p class="hint">{t("joinCardHint")}</p>
                  <button onClick={() => void navigator.clipboard?.writeText(m.link)}>{t("copy")}</button>
                </div>
              ),
            )}
          </div>
        </>
      )}
    </>
  );
}

function TokensTab() {
  const { t } = useI18n();
  const [tokens, setTokens] = useState<TokenRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () => api<{ tokens: TokenRow[] }>("/api/tokens").then((r) => setTokens(r.tokens), (err) => setError(message(err)));
  useEffect(() => void load(), []);
  const revoke = async (token: TokenRow) => {
    if (!confirm(`${t("revoke")} ${token.name}?`)) return;
    try {
      await api(`/api/tokens/${token.id}`, { method: "DELETE" });
      await load();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <>
      <h1>{t("tokens")}</h1>
      {error && <p class="error">{error}</p>}
      <table class="grid">
        <thead>
          <tr>
            <th>{t("name")}</th>
            <th>{t("role")}</th>
            <th>{t("created")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((tk) => (
            <tr key={tk.id}>
              <td>{tk.name}</td>
              <td>{tk.role}</td>
              <td>{new Date(tk.createdAt).toLocaleString()}</td>
              <td>
                <button onClick={() => void revoke(tk)}>{t("revoke")}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function SessionsTab() {
  const { t } = useI18n();
  const labs = useLabs();
  // Every lab's sessions unless one is chosen: the class's activity at a glance.
  const [lab, setLab] = useState("");
  const [sessions, setSessions] = useState<Session[]>([]);
  const [progress, setProgress] = useState<Record<string, Progress>>({});
  useEffect(() => {
    let live = true;
    const load = async () => {
      const r = await api<{ sessions: Session[] }>(`/api/sessions?limit=200${lab === "" ? "" : `&labId=${encodeURIComponent(lab)}`}`);
      if (!live) return;
      setSessions(r.sessions);
      const entries = await Promise.all(r.sessions.slice(0, 40).map(async (s) => [s.id, await api<Progress>(`/api/sessions/${s.id}/progress`).catch(() => null)] as const));
      if (live) setProgress(Object.fromEntries(entries.filter((e): e is readonly [string, Progress] => e[1] !== null)));
    };
    void load();
    // Progress is rate-limited per token (60 a minute): a class's table refreshes every 30 s.
    const timer = setInterval(() => void load(), 30_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [lab]);
  return (
    <>
      <h1>{t("sessions")}</h1>
      <div class="row-actions">
        <LabSelect labs={labs} value={lab} onChange={setLab} all />
      </div>
      <table class="grid" data-testid="sessions">
        <thead>
          <tr>
            <th>{t("student")}</th>
            <th>{t("lab")}</th>
            <th>{t("commands")}</th>
            <th>{t("progress")}</th>
            <th>{t("lastActivity")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => {
            const p = progress[s.id];
            return (
              <tr key={s.id} data-owner={s.owner.name}>
                <td>{s.owner.name}</td>
                <td>{s.labId}</td>
                <td>{s.commandCount}</td>
                <td>{p ? `${p.score}/${p.maxScore}` : "…"}</td>
                <td>{new Date(s.lastCommandAt ?? s.createdAt).toLocaleString()}</td>
                <td>
                  <a class="btn" href={`/sessions/${s.id}`} onClick={onLinkClick(`/sessions/${s.id}`)} data-testid="watch">
                    {t("watch")}
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function GradingTab() {
  const { t, pick } = useI18n();
  const labs = useLabs();
  const [labId, setLabId] = useState("");
  const [run, setRun] = useState<GradingRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lab = labId || labs[0]?.id || "";
  useEffect(() => {
    if (run === null || run.status !== "running") return;
    const timer = setTimeout(() => {
      api<GradingRun>(`/api/grading/runs/${run.id}`).then(setRun, (err) => setError(message(err)));
    }, 700);
    return () => clearTimeout(timer);
  }, [run]);
  const start = async () => {
    setError(null);
    try {
      const summary = await api<GradingRun>("/api/grading/runs", { method: "POST", body: { labId: lab } });
      setRun(await api<GradingRun>(`/api/grading/runs/${summary.id}`));
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <>
      <h1>{t("grading")}</h1>
      <div class="row-actions">
        <LabSelect labs={labs} value={lab} onChange={setLabId} />
        <button class="primary" onClick={() => void start()} data-testid="start-grading" disabled={run?.status === "running"}>
          {t("startGrading")}
        </button>
        {run && (
          <>
            <span data-testid="run-status">
              {run.status} · {run.progress.graded}/{run.progress.total}
            </span>
            <div class="bar" style={{ maxWidth: "200px" }}>
              <div style={{ width: `${run.progress.total === 0 ? 100 : (100 * run.progress.graded) / run.progress.total}%` }} />
            </div>
            <button disabled={run.status !== "done"} onClick={() => void download(`/api/grading/runs/${run.id}?format=csv`, `grading-${run.id}.csv`)} data-testid="download-csv">
              ⬇ {t("downloadCsv")}
            </button>
            <button disabled={run.status !== "done"} onClick={() => void download(`/api/grading/runs/${run.id}?format=junit`, `grading-${run.id}.xml`)}>
              ⬇ {t("downloadJunit")}
            </button>
          </>
        )}
      </div>
      {error && <p class="error">{error}</p>}
      {run?.sessions && run.tasks && (
        <table class="grid" data-testid="grading-table">
          <thead>
            <tr>
              <th>{t("student")}</th>
              {run.tasks.map((task) => (
                <th key={task.id} title={task.id}>
                  {pick(task.title)} ({task.points})
                </th>
              ))}
              <th>{t("score")}</th>
            </tr>
          </thead>
          <tbody>
            {run.sessions.map((s) => (
              <tr key={s.sessionId}>
                <td>{s.owner.name}</td>
                {run.tasks!.map((task) => {
                  const r = s.tasks.find((x) => x.taskId === task.id);
                  return (
                    <td key={task.id} class={r?.passed ? "pass" : "fail"}>
                      {s.error ? "—" : r ? `${r.passed ? "✓" : "✗"} ${r.earned}` : ""}
                    </td>
                  );
                })}
                <td>
                  <b>
                    {s.score}/{s.maxScore}
                  </b>
                  {s.error && <div class="error">{s.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function LabsTab() {
  const { t } = useI18n();
  const [yaml, setYaml] = useState("");
  const [result, setResult] = useState<{ ok: string } | { error: string; line?: number; column?: number } | null>(null);
  const upload = async () => {
    setResult(null);
    try {
      const lab = await api<{ id: string }>("/api/labs", { method: "POST", raw: { body: yaml, type: "application/yaml" } });
      setResult({ ok: lab.id });
    } catch (err) {
      const details = err instanceof ApiError ? (err.details as { line?: number; column?: number } | undefined) : undefined;
      setResult({ error: message(err), ...(details?.line === undefined ? {} : { line: details.line, column: details.column }) });
    }
  };
  const lines = yaml.split("\n");
  const badLine = result !== null && "line" in result ? result.line : undefined;
  return (
    <>
      <h1>{t("customLabs")}</h1>
      <div class="row-actions">
        <input
          type="file"
          accept=".yaml,.yml,application/yaml"
          onChange={async (e) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (file) setYaml(await file.text());
          }}
        />
        <button class="primary" disabled={yaml.trim() === ""} onClick={() => void upload()} data-testid="upload-lab">
          {t("uploadLab")}
        </button>
      </div>
      <textarea class="yaml" value={yaml} onInput={(e) => setYaml((e.target as HTMLTextAreaElement).value)} spellcheck={false} data-testid="lab-yaml" placeholder="version: 1&#10;id: my-lab&#10;…" />
      {result && "ok" in result && (
        <p class="ok">
          ✓ {t("labUploaded")}: <a href={`/labs/${result.ok}`}>{result.ok}</a>
        </p>
      )}
      {result && "error" in result && (
        <>
          <p class="error" data-testid="lab-error">
            {result.line !== undefined && `line ${result.line}, column ${result.column}: `}
            {result.error}
          </p>
          {badLine !== undefined && (
            <div class="yaml-view">
              {lines.slice(Math.max(0, badLine - 4), badLine + 3).map((l, i) => {
                const n = Math.max(0, badLine - 4) + i + 1;
                return (
                  <>
                    <div key={n} class={n === badLine ? "bad" : ""}>
                      <span class="ln">{n}</span>
                      {l}
                    </div>
                    {n === badLine && result.column !== undefined && (
                      <div key={`${n}^`} class="bad">
                        <span class="ln" />
                        {`${" ".repeat(Math.max(0, result.column - 1))}^`}
                      </div>
                    )}
                  </>
                );
              })}
            </div>
          )}
        </>
      )}
    </>
  );
}
