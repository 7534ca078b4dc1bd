/**
 * The packet trace player: which command's events, filters (host, device,
 * kind, protocol, text), the virtualised list, play/pause/step/speed, and
 * the layer inspector with its hex view for the selected event.
 */
import type { LoggedCommand } from "../api/types.js";
import { useI18n } from "../i18n.js";
import { EVENT_KINDS, PROTOCOLS, type TraceEvent, type TraceFilter } from "../trace/trace-event.js";
import { SPEEDS, type PlayerAction, type PlayerState, type Speed } from "../trace/trace-player.js";
import { EventList } from "./event-list.js";
import { Inspector } from "./inspector.js";

export interface TracePanelProps {
  sessionId: string;
  commands: LoggedCommand[];
  /** A command's index, or -1 for every event of the session. */
  commandIndex: number;
  onCommand: (index: number) => void;
  filter: TraceFilter;
  onFilter: (filter: TraceFilter) => void;
  hosts: string[];
  devices: string[];
  shown: TraceEvent[];
  player: PlayerState;
  dispatch: (action: PlayerAction) => void;
}

export function TracePanel(props: TracePanelProps) {
  const { t } = useI18n();
  const { filter, onFilter, player, dispatch } = props;
  const one = (value: string) => (value === "" ? [] : [value]);
  const selected = player.cursor >= 0 ? (props.shown[player.cursor] ?? null) : null;
  return (
    <div class="trace">
      <div class="toolbar">
        <select aria-label={t("command")} data-testid="trace-command" value={String(props.commandIndex)} onChange={(e) => props.onCommand(Number((e.target as HTMLSelectElement).value))}>
          <option value="-1">{t("allCommands")}</option>
          {[...props.commands].reverse().map((c) => (
            <option key={c.index} value={String(c.index)}>
              #{c.index + 1} {c.namespace ?? c.host}$ {c.command.length > 36 ? `${c.command.slice(0, 35)}…` : c.command}
            </option>
          ))}
        </select>
        <select aria-label={t("filterHost")} value={filter.hosts[0] ?? ""} onChange={(e) => onFilter({ ...filter, hosts: one((e.target as HTMLSelectElement).value) })}>
          <option value="">{t("filterHost")}: {t("any")}</option>
          {props.hosts.map((h) => (
            <option key={h}>{h}</option>
          ))}
        </select>
        <select aria-label={t("filterDevice")} data-testid="filter-device" value={filter.devices[0] ?? ""} onChange={(e) => onFilter({ ...filter, devices: one((e.target as HTMLSelectElement).value) })}>
          <option value="">{t("filterDevice")}: {t("any")}</option>
          {props.devices.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
        <select aria-label={t("filterKind")} data-testid="filter-kind" value={filter.kinds[0] ?? ""} onChange={(e) => onFilter({ ...filter, kinds: one((e.target as HTMLSelectElement).value) })}>
          <option value="">{t("filterKind")}: {t("any")}</option>
          {EVENT_KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select aria-label={t("filterProtocol")} value={filter.protocols[0] ?? ""} onChange={(e) => onFilter({ ...filter, protocols: one((e.target as HTMLSelectElement).value) })}>
          <option value="">{t("filterProtocol")}: {t("any")}</option>
          {PROTOCOLS.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <input type="search" placeholder={t("search")} aria-label={t("search")} value={filter.text} onInput={(e) => onFilter({ ...filter, text: (e.target as HTMLInputElement).value })} />
      </div>
      <EventList events={props.shown} cursor={player.cursor} dispatch={dispatch} />
      <div class="player" role="toolbar" aria-label="player">
        <button title="first" aria-label="first" onClick={() => dispatch({ type: "first" })}>
          |◀◀
        </button>
        <button title={t("stepBack")} aria-label={t("stepBack")} data-testid="step-back" onClick={() => dispatch({ type: "step", by: -1 })}>
          ◀|
        </button>
        <button class="primary" title={player.playing ? t("pause") : t("play")} aria-label={player.playing ? t("pause") : t("play")} data-testid="play" onClick={() => dispatch({ type: "toggle" })}>
          {player.playing ? "❚❚" : "▶"}
        </button>
        <button title={t("stepForward")} aria-label={t("stepForward")} data-testid="step-forward" onClick={() => dispatch({ type: "step", by: 1 })}>
          |▶
        </button>
        <button title="last" aria-label="last" onClick={() => dispatch({ type: "last" })}>
          ▶▶|
        </button>
        <label class="muted" style={{ marginLeft: "6px" }}>
          {t("speed")}{" "}
          <select value={String(player.speed)} onChange={(e) => dispatch({ type: "speed", speed: Number((e.target as HTMLSelectElement).value) as Speed })}>
            {SPEEDS.map((s) => (
              <option key={s} value={String(s)}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <span class="pos" data-testid="player-pos">
          {player.cursor + 1}/{player.count}
        </span>
      </div>
      <Inspector sessionId={props.sessionId} event={selected} />
    </div>
  );
}
