/**
 * The selected event's frame, as Wireshark's details and bytes panes: the
 * layers our dissector reads from the frame's bytes (GET
 * /api/sessions/:id/frames/:seq), each field clickable, and a hex view that
 * lights the selected layer's bytes and, brighter, the selected field's.
 * Clicking a byte selects the field it belongs to. Without the bytes (an
 * older server) the decoded layers the event carries are shown instead.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiBytes } from "../api/client.js";
import { useI18n } from "../i18n.js";
import { dissect, fieldAt, type Layer, type LinkType } from "../trace/dissect.js";
import type { TraceEvent } from "../trace/trace-event.js";

type Frame = { layers: Layer[]; bytes: Uint8Array } | { missing: "no-frame" | "unavailable" };

export function Inspector(props: { sessionId: string; event: TraceEvent | null }) {
  const { t } = useI18n();
  const cache = useRef(new Map<number, Frame>());
  const [frame, setFrame] = useState<Frame | null>(null);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const [selected, setSelected] = useState<{ layer: number; field: number | null } | null>(null);
  const event = props.event;

  useEffect(() => {
    setSelected(null);
    if (event === null || event.layers === null) {
      setFrame(event === null ? null : { missing: "no-frame" });
      return;
    }
    const cached = cache.current.get(event.seq);
    if (cached !== undefined) {
      setFrame(cached);
      return;
    }
    let live = true;
    setFrame(null);
    apiBytes(`/api/sessions/${props.sessionId}/frames/${event.seq}`)
      .then(({ bytes, headers }) => {
        const linkType: LinkType = headers.get("x-link-type") === "raw" ? "raw" : "ethernet";
        return { layers: dissect(bytes, linkType), bytes } as Frame;
      })
      .catch((err: unknown) => ({ missing: err instanceof ApiError && err.code === "NO_FRAME" ? "no-frame" : "unavailable" }) as Frame)
      .then((f) => {
        cache.current.set(event.seq, f);
        if (live) setFrame(f);
      });
    return () => {
      live = false;
    };
  }, [event?.seq, props.sessionId]);

  if (event === null) return <div class="inspector muted">{t("selectEvent")}</div>;

  const toggle = (i: number) => {
    const next = new Set(open);
    if (next.has(i)) next.delete(i);
    else next.add(i);
    setOpen(next);
    setSelected({ layer: i, field: null });
  };

  const header = <div class="summary">{`#${event.seq} ${event.kind} ${event.host}/${event.namespace}/${event.device ?? "-"}: ${event.summary}`}</div>;

  if (frame === null) return <div class="inspector">{header}…</div>;
  if ("missing" in frame) {
    return (
      <div class="inspector" data-testid="inspector">
        {header}
        {frame.missing === "no-frame" || event.layers === null ? (
          <p class="muted">{t("noFrame")}</p>
        ) : (
          <>
            <p class="muted">{t("framesPending")}</p>
            {event.layers.map((layer, i) => (
              <div class={`layer${open.has(i) ? " open" : ""}`} key={i} data-testid={`layer-${layer.kind}`}>
                <button onClick={() => toggle(i)} aria-expanded={open.has(i)}>
                  {open.has(i) ? "▾" : "▸"} {layer.kind.toUpperCase()}
                </button>
                {open.has(i) && (
                  <ul>
                    {Object.entries(layer)
                      .filter(([k]) => k !== "kind")
                      .map(([k, v]) => (
                        <li key={k}>
                          {k}: {typeof v === "object" ? JSON.stringify(v) : String(v)}
                        </li>
                      ))}
                  </ul>
                )}
              </div>
            ))}
          </>
        )}
      </div>
    );
  }

  const selLayer = selected === null ? null : frame.layers[selected.layer];
  const selField = selected === null || selected.field === null ? null : (selLayer?.fields[selected.field] ?? null);
  const range = selField ?? selLayer ?? null;

  return (
    <div class="inspector" data-testid="inspector">
      {header}
      {frame.layers.map((layer, i) => (
        <div class={`layer${open.has(i) ? " open" : ""}`} key={i} data-testid={`layer-${layer.kind}`}>
          <button onClick={() => toggle(i)} aria-expanded={open.has(i)}>
            {open.has(i) ? "▾" : "▸"} {layer.title}
          </button>
          {open.has(i) && (
            <ul>
              {layer.fields.map((f, j) => (
                <li
                  key={j}
                  class={selected?.layer === i && selected.field === j ? "sel" : ""}
                  onClick={() => setSelected({ layer: i, field: j })}
                  title={`bytes ${f.start}–${f.end - 1}`}
                  data-field={f.name}
                >
                  {f.name}: {f.value}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
      <HexView
        bytes={frame.bytes}
        layer={selLayer ?? null}
        field={range === selLayer ? null : range}
        onByte={(offset) => {
          const hit = fieldAt(frame.layers, offset);
          if (hit === null) return;
          setOpen(new Set([...open, hit.layer]));
          setSelected(hit);
        }}
      />
    </div>
  );
}

function HexView(props: { bytes: Uint8Array; layer: Layer | null; field: { start: number; end: number } | null; onByte: (offset: number) => void }) {
  const { t } = useI18n();
  const lines = [];
  for (let row = 0; row < props.bytes.length; row += 16) {
    const cells = [];
    let ascii = "";
    for (let i = row; i < Math.min(row + 16, props.bytes.length); i++) {
      const b = props.bytes[i]!;
      const inLayer = props.layer !== null && i >= props.layer.start && i < props.layer.end;
      const inField = props.field !== null && i >= props.field.start && i < props.field.end;
      cells.push(
        <span key={i} class={`b${inLayer ? " layer-on" : ""}${inField ? " sel" : ""}`} data-offset={i} onClick={() => props.onByte(i)}>
          {b.toString(16).padStart(2, "0")}
        </span>,
      );
      cells.push(i % 16 === 7 ? "  " : " ");
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    lines.push(
      <div key={row}>
        <span class="off">{row.toString(16).padStart(4, "0")}</span>
        {cells}
        <span class="ascii">{ascii}</span>
      </div>,
    );
  }
  return (
    <div class="hex" data-testid="hex" aria-label={t("bytes")}>
      {lines}
    </div>
  );
}
