/**
 * Captures: the frames one device saw, one line each as `tcpdump -n -e`
 * prints them, filterable; and the capture files themselves (pcap of that
 * device, pcapng of every device) from GET /api/sessions/:id/pcap.
 */
import { useState } from "preact/hooks";
import { download } from "../api/client.js";
import type { NetworkState } from "../api/types.js";
import { deviceFrames } from "../captures/tcpdump-line.js";
import { useI18n } from "../i18n.js";
import { pure } from "../ui/pure.js";
import type { TraceEvent } from "../trace/trace-event.js";

const MAX_LINES = 2000;

export const CapturesPanel = pure(function CapturesPanel(props: { sessionId: string; state: NetworkState | null; events: TraceEvent[]; eventsVersion: number }) {
  const { t } = useI18n();
  const devices = (props.state?.hosts ?? []).flatMap((h) => h.namespaces.flatMap((ns) => ns.interfaces.map((d) => `${h.name}/${ns.name}/${d.name}`)));
  const [device, setDevice] = useState("");
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const chosen = devices.includes(device) ? device : (devices.find((d) => d.endsWith("/docker0")) ?? devices[0] ?? "");
  const [host, ns, dev] = chosen.split("/");
  const isBridge = props.state?.hosts.find((h) => h.name === host)?.namespaces.find((n) => n.name === ns)?.interfaces.find((d) => d.name === dev)?.kind === "bridge";
  const lines = deviceFrames(props.events, host ?? "", ns ?? "", dev ?? "", isBridge).filter((line) => text === "" || line.toLowerCase().includes(text.toLowerCase()));
  const save = (path: string, name: string) => {
    setError(null);
    download(path, name).catch((err: Error) => setError(err.message));
  };
  const q = `host=${encodeURIComponent(host ?? "")}&namespace=${encodeURIComponent(ns ?? "")}&device=${encodeURIComponent(dev ?? "")}`;
  return (
    <div class="trace" data-testid="captures">
      <div class="toolbar">
        <select aria-label={t("device")} value={chosen} onChange={(e) => setDevice((e.target as HTMLSelectElement).value)}>
          {devices.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
        <input type="search" placeholder={t("search")} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <span class="count">
          {lines.length} {t("frames")}
        </span>
      </div>
      <div class="row-actions" style={{ padding: "0 8px" }}>
        <button data-testid="download-pcap" onClick={() => save(`/api/sessions/${props.sessionId}/pcap?${q}`, `${dev}.pcap`)}>
          ⬇ {t("downloadPcap")}
        </button>
        <button data-testid="download-pcapng" onClick={() => save(`/api/sessions/${props.sessionId}/pcap`, "session.pcapng")}>
          ⬇ {t("downloadPcapng")}
        </button>
        {error && <span class="error">{error}</span>}
      </div>
      <div class="scroll capture-lines" data-testid="capture-lines">
        {lines.slice(-MAX_LINES).map((l, i) => (
          <div key={i}>{l}</div>
        ))}
      </div>
    </div>
  );
});
