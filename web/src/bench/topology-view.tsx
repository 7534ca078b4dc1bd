/**
 * The diagram: cytoscape.js with compound nodes (host ⊃ namespace ⊃
 * device), laid out by topology-layout.ts, redrawn from /state after every
 * command. The selected trace event lights its device and the links its
 * frame crosses, and a dot (the packet) moves there from the previous hop.
 * Hovering a device shows its addresses, MAC and MTU. The lit ids are also
 * in the container's data-lit attribute, for the browser tests.
 */
import cytoscape, { type Core } from "cytoscape";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Graph } from "../topology/topology-graph.js";
import { layoutGraph } from "../topology/topology-layout.js";

const DEVICE_COLORS: Record<string, string> = {
  bridge: "#1971c2",
  veth: "#0c8599",
  nic: "#495057",
  loopback: "#adb5bd",
  vxlan: "#7048e8",
  tun: "#9c36b5",
  ipip: "#ae3ec9",
};

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function style(): cytoscape.StylesheetJson {
  const text = css("--text");
  const muted = css("--muted");
  const lit = css("--lit");
  return [
    { selector: "node", style: { "font-family": "system-ui, sans-serif", "font-size": 11, color: text } },
    {
      selector: "node[kind = 'host']",
      style: { shape: "round-rectangle", "background-color": css("--panel-2"), "background-opacity": 0.6, "border-color": muted, "border-width": 1.5, label: "data(label)", "text-valign": "top", "text-halign": "center", "font-weight": "bold", "font-size": 13, padding: "14px" },
    },
    {
      selector: "node[kind = 'namespace']",
      style: { shape: "round-rectangle", "background-color": css("--panel"), "border-color": muted, "border-style": "dashed", "border-width": 1, label: "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 11, padding: "8px" },
    },
    { selector: "node[kind = 'namespace'][type = 'container']", style: { "border-style": "solid", "border-color": "#0c8599" } },
    {
      selector: "node[kind = 'device']",
      style: { shape: "round-rectangle", width: 96, height: 24, label: "data(label)", "text-valign": "center", "text-halign": "center", color: "#fff", "font-family": "DejaVu Sans Mono, monospace", "font-size": 10.5, "background-color": "data(color)", "border-width": 0 },
    },
    { selector: "node[kind = 'segment']", style: { shape: "rectangle", width: 260, height: 10, "background-color": muted, label: "data(label)", "text-valign": "bottom", "text-margin-y": 4, color: muted } },
    { selector: "edge", style: { width: 2, "line-color": muted, "curve-style": "straight" } },
    { selector: "edge[kind = 'veth']", style: { width: 3, "line-color": "#0c8599" } },
    { selector: "edge[kind = 'port']", style: { "line-style": "dashed", "line-color": "#1971c2" } },
    { selector: "node.lit", style: { "border-width": 3, "border-color": lit, "background-color": lit, "z-index": 10 } },
    { selector: "node.lit[kind = 'namespace']", style: { "background-color": css("--lit-bg") } },
    { selector: "edge.lit", style: { width: 5, "line-color": lit, "z-index": 10 } },
    { selector: "node.dim", style: { opacity: 0.35 } },
    { selector: "#packet", style: { width: 14, height: 14, shape: "ellipse", "background-color": lit, "border-width": 2, "border-color": "#fff", "z-index": 20, label: "" } },
  ];
}

export function TopologyView(props: {
  graph: Graph | null;
  lit: { nodes: string[]; edges: string[] } | null;
  decision: { label: string; text: string } | null;
  /** How long the packet takes to move to the next hop; 0 jumps (fast playback: each animation frame redraws the canvas). */
  moveMs: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const [tooltip, setTooltip] = useState<{ x: number; y: number; text: string } | null>(null);
  const lastGraphKey = useRef("");

  useEffect(() => {
    const instance = cytoscape({ container: box.current!, style: style(), minZoom: 0.3, maxZoom: 2.5, wheelSensitivity: 0.3, boxSelectionEnabled: false, autoungrabify: false });
    instance.on("mouseover", "node[kind = 'device'], node[kind = 'namespace']", (e) => {
      const p = e.renderedPosition ?? e.target.renderedPosition();
      setTooltip({ x: p.x + 12, y: p.y + 12, text: String(e.target.data("tooltip")) });
    });
    instance.on("mouseout", "node", () => setTooltip(null));
    cy.current = instance;
    const observer = new ResizeObserver(() => {
      instance.resize();
      instance.fit(undefined, 24);
    });
    observer.observe(box.current!);
    return () => {
      observer.disconnect();
      instance.destroy();
    };
  }, []);

  // Light and dark: cytoscape takes colours, not CSS variables, so it is restyled when the theme attribute changes.
  useEffect(() => {
    const observer = new MutationObserver(() => cy.current?.style(style()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const instance = cy.current;
    if (instance === null || props.graph === null) return;
    const key = JSON.stringify(props.graph);
    if (key === lastGraphKey.current) return;
    lastGraphKey.current = key;
    const positions = layoutGraph(props.graph);
    const elements: cytoscape.ElementDefinition[] = [
      ...props.graph.nodes.map((n) => ({
        group: "nodes" as const,
        data: { id: n.id, parent: n.parent, label: n.label, kind: n.kind, type: n.type, tooltip: n.tooltip, color: DEVICE_COLORS[n.type] ?? "#5c7cfa" },
        ...(positions.has(n.id) ? { position: positions.get(n.id)! } : {}),
      })),
      ...props.graph.edges.map((e) => ({ group: "edges" as const, data: { id: e.id, source: e.source, target: e.target, kind: e.kind } })),
    ];
    instance.batch(() => {
      instance.elements().remove();
      instance.add(elements);
    });
    instance.layout({ name: "preset", fit: true, padding: 24 }).run();
  }, [props.graph]);

  useEffect(() => {
    const instance = cy.current;
    if (instance === null) return;
    instance.batch(() => {
      instance.elements(".lit").removeClass("lit");
      for (const id of props.lit?.nodes ?? []) instance.getElementById(id).addClass("lit");
      for (const id of props.lit?.edges ?? []) instance.getElementById(id).addClass("lit");
    });
    // The packet: a dot that moves to the lit device, so stepping reads as motion along the links.
    const target = props.lit?.nodes.map((id) => instance.getElementById(id)).find((n) => n.nonempty() && n.data("kind") === "device");
    let packet = instance.getElementById("packet");
    if (target === undefined) {
      packet.remove();
      return;
    }
    const to = { x: target.position().x + 44, y: target.position().y - 12 };
    if (packet.empty()) packet = instance.add({ group: "nodes", data: { id: "packet" }, position: to });
    else if (props.moveMs > 0) packet.animate({ position: to }, { duration: props.moveMs });
    else packet.stop().position(to);
  }, [props.lit, props.graph]);

  const zoom = (factor: number) => {
    const instance = cy.current;
    if (instance === null) return;
    instance.zoom({ level: instance.zoom() * factor, renderedPosition: { x: instance.width() / 2, y: instance.height() / 2 } });
  };

  return (
    <div class="topology" data-testid="topology" data-nodes={(props.graph?.nodes ?? []).map((n) => n.id).join(" ")} data-lit={[...(props.lit?.nodes ?? []), ...(props.lit?.edges ?? [])].join(" ")}>
      <div class="cy" ref={box} role="img" aria-label="network topology" />
      <div class="zoom">
        <button title="zoom in" onClick={() => zoom(1.25)}>
          +
        </button>
        <button title="zoom out" onClick={() => zoom(0.8)}>
          −
        </button>
        <button title="fit" onClick={() => cy.current?.fit(undefined, 24)}>
          ⤢
        </button>
      </div>
      <div class="legend">
        <span style={{ color: "#0c8599" }}>━ veth</span>
        <span style={{ color: "#1971c2" }}>┅ bridge port</span>
        <span>━ segment</span>
      </div>
      {props.decision && (
        <div class="decision" data-testid="decision">
          <b>{props.decision.label}</b>
          {props.decision.text}
        </div>
      )}
      {tooltip && (
        <div class="tooltip" style={{ left: `${tooltip.x}px`, top: `${tooltip.y}px` }}>
          {tooltip.text}
        </div>
      )}
    </div>
  );
}
