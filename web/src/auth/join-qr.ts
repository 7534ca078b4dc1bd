/**
 * A join link as a QR code, drawn as SVG in the browser by the qrcode
 * library: a phone's camera opens the link, and the token stays in the
 * fragment, which the browser never sends to the server. Error correction M
 * (15% of the code may be smudged or folded on a printed card) and a quiet
 * zone of two modules, which scanners need around the code. The library is
 * loaded when the first code is made: students' pages never load it.
 */
export const JOIN_QR_OPTIONS = { type: "svg", errorCorrectionLevel: "M", margin: 2 } as const;

/** The SVG markup of the QR code of exactly this text. */
export async function joinQrSvg(link: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toString(link, JOIN_QR_OPTIONS);
}
