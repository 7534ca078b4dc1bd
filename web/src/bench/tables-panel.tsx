/**
 * Kernel tables of one namespace, refreshed from /state after each command;
 * rows new or changed since the previous refresh are highlighted.
 */
import { useRef } from "preact/hooks";
import type { NetworkState } from "../api/types.js";
import { useI18n } from "../i18n.js";
import { pure } from "../ui/pure.js";
import { changedKeys, kernelTables, type Row } from "../tables/kernel-tables.js";

/** Columns of long text that wrap (at spaces) so the table fits the panel. */
const WRAPPED: Record<string, number[]> = { routes: [1], conntrack: [1, 2], iptables: [1] };

export const TablesPanel = pure(function TablesPanel(props: { state: NetworkState | null; stateVersion: number; where: string; onWhere: (where: string) => void }) {
  const { t } = useI18n();
  // Per "host/ns/table": the rows of the previous refresh, and what changed at the latest one.
  const previous = useRef(new Map<string, { version: number; rows: Row[]; before: Row[] | undefined }>());
  if (props.state === null) return <div class="ktables muted">…</div>;
  const places = props.state.hosts.flatMap((h) => h.namespaces.map((ns) => `${h.name}/${ns.name}`));
  const where = places.includes(props.where) ? props.where : (places[0] ?? "");
  const [hostName, nsName] = where.split("/");
  const ns = props.state.hosts.find((h) => h.name === hostName)?.namespaces.find((n) => n.name === nsName);
  return (
    <div class="ktables" data-testid="tables">
      <label>
        {t("namespace")}{" "}
        <select value={where} onChange={(e) => props.onWhere((e.target as HTMLSelectElement).value)}>
          {places.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      {ns &&
        kernelTables(ns).map((table) => {
          const key = `${where}/${table.id}`;
          let memo = previous.current.get(key);
          if (memo === undefined || memo.version !== props.stateVersion) {
            memo = { version: props.stateVersion, rows: table.rows, before: memo?.rows };
            previous.current.set(key, memo);
          }
          // Ages and timeouts change on every refresh: not a change worth lighting.
          const changed = changedKeys(memo.before, table.rows, table.volatile);
          return (
            <div class="ktable" key={table.id} data-table={table.id}>
              <h3>{table.title}</h3>
              {table.rows.length === 0 ? (
                <div class="muted">{t("empty")}</div>
              ) : (
                <table>
                  <thead>
                    <tr>
                      {table.columns.map((c, i) => (
                        <th key={i}>{c}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {table.rows.map((row) => (
                      <tr key={row.key} class={changed.has(row.key) ? "changed" : ""}>
                        {row.cells.map((cell, i) => (
                          <td key={i} class={`${table.id === "neighbours" && i === 3 ? `nud-${cell}` : ""}${WRAPPED[table.id]?.includes(i) ? " wrap" : ""}`}>
                            {cell}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          );
        })}
    </div>
  );
});
