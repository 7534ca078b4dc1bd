/**
 * The lab catalogue: title, summary, difficulty, chapter and, for a lab the
 * student has started, the progress of their latest session.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client.js";
import type { LabSummary, Me, Progress, Session } from "../api/types.js";
import { useI18n } from "../i18n.js";
import { onLinkClick } from "../router.js";

export function CataloguePage(props: { me: Me }) {
  const { t, pick } = useI18n();
  const [labs, setLabs] = useState<LabSummary[] | null>(null);
  const [latest, setLatest] = useState<Map<string, Session>>(new Map());
  const [progress, setProgress] = useState<Map<string, Progress>>(new Map());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      const [{ labs }, { sessions }] = await Promise.all([
        api<{ labs: LabSummary[] }>("/api/labs"),
        api<{ sessions: Session[] }>(`/api/sessions?limit=200${props.me.role === "instructor" ? `&ownerId=${encodeURIComponent(props.me.id)}` : ""}`),
      ]);
      setLabs(labs);
      // Sessions come newest first: the first of each lab is the one to continue.
      const byLab = new Map<string, Session>();
      for (const s of sessions) if (!byLab.has(s.labId)) byLab.set(s.labId, s);
      setLatest(byLab);
      const results = await Promise.all([...byLab.values()].map((s) => api<Progress>(`/api/sessions/${s.id}/progress`).catch(() => null)));
      setProgress(new Map(results.filter((p): p is Progress => p !== null).map((p) => [p.labId, p])));
    })().catch((err: Error) => setError(err.message));
  }, [props.me.id]);

  if (error) return <div class="page error">{error}</div>;
  if (labs === null) return <div class="page muted">…</div>;
  return (
    <div class="page">
      <h1>{t("labs")}</h1>
      <div class="cards">
        {labs.map((lab) => {
          const p = progress.get(lab.id);
          const started = latest.has(lab.id);
          return (
            <article class="card" key={lab.id} data-lab={lab.id}>
              <h2>{pick(lab.title)}</h2>
              <div class="meta">
                <span class={`badge ${lab.difficulty}`}>{lab.difficulty}</span>
                {lab.chapter && (
                  <span>
                    {t("chapter")} {lab.chapter}
                  </span>
                )}
                {lab.tags.map((tag) => (
                  <span class="badge" key={tag}>
                    {tag}
                  </span>
                ))}
              </div>
              <p class="muted" style={{ margin: 0, fontSize: "13px" }}>
                {pick(lab.summary)}
              </p>
              <div class="actions">
                <a class="btn primary" href={`/labs/${lab.id}`} onClick={onLinkClick(`/labs/${lab.id}`)}>
                  {started ? t("continue") : t("open")}
                </a>
                {p ? (
                  <>
                    <div class="bar" title={`${p.score}/${p.maxScore}`}>
                      <div style={{ width: `${p.maxScore === 0 ? 0 : (100 * p.score) / p.maxScore}%` }} />
                    </div>
                    <span class="muted">
                      {p.score}/{p.maxScore}
                    </span>
                  </>
                ) : (
                  <span class="muted">{t("notStarted")}</span>
                )}
              </div>
            </article>
          );
        })}
      </div>
    </div>
  );
}
