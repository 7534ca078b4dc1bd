import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { JOIN_QR_OPTIONS, joinQrSvg } from "../../web/src/auth/join-qr.js";

/**
 * The dark modules an SVG from the qrcode library draws, read back from its
 * path: rows start with an absolute `M x y+0.5`, runs of dark modules are
 * `h n`, the light ones between runs `m n 0`. Margin removed.
 */
function modulesOf(svg: string, margin: number): string[] {
  const viewBox = /viewBox="0 0 (\d+) \d+"/.exec(svg);
  const path = /<path stroke="[^"]*" d="([^"]*)"/.exec(svg);
  if (viewBox === null || path === null) throw new Error(`not the library's QR SVG: ${svg.slice(0, 120)}`);
  const size = Number(viewBox[1]) - 2 * margin;
  const grid = Array.from({ length: size }, () => Array<string>(size).fill("0"));
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of path[1]!.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    const n = Number(a);
    if (cmd === "M") [x, y] = [n, Math.floor(Number(b))];
    else if (cmd === "m") x += n;
    else {
      for (let i = 0; i < n; i++) grid[y - margin]![x - margin + i] = "1";
      x += n;
    }
  }
  return grid.map((row) => row.join(""));
}

/** The QR symbol the library makes for a text, as rows of 0 and 1. */
function symbolOf(text: string): string[] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: JOIN_QR_OPTIONS.errorCorrectionLevel });
  return Array.from({ length: modules.size }, (_, r) => Array.from({ length: modules.size }, (_, c) => (modules.get(r, c) ? "1" : "0")).join(""));
}

describe("a join card's QR code", () => {
  // As the class screen makes it (token-store.ts, joinLink): the token in the fragment.
  const link = "https://lab.example.edu/#token=cnlab_3fQx9w0Lr2Vb7KpZ1mYt";

  it("is the library's SVG of exactly the join link, token in the fragment", async () => {
    const svg = await joinQrSvg(link);
    expect(svg).toBe(await QRCode.toString(link, { type: "svg", errorCorrectionLevel: "M", margin: 2 }));
    // What it draws is the symbol that encodes the link, module for module: what a scanner reads back.
    expect(modulesOf(svg, JOIN_QR_OPTIONS.margin)).toEqual(symbolOf(link));
    const segments = QRCode.create(link, { errorCorrectionLevel: "M" }).segments as unknown as Array<{ data: Uint8Array | string }>;
    expect(segments.map((s) => (typeof s.data === "string" ? s.data : new TextDecoder().decode(s.data))).join("")).toBe(link);
  });

  it("differs for another token, and for the link without its fragment", async () => {
    const svg = modulesOf(await joinQrSvg(link), JOIN_QR_OPTIONS.margin);
    expect(svg).not.toEqual(modulesOf(await joinQrSvg("https://lab.example.edu/#token=cnlab_3fQx9w0Lr2Vb7KpZ1mYu"), JOIN_QR_OPTIONS.margin));
    expect(svg).not.toEqual(symbolOf("https://lab.example.edu/"));
  });
});
