/**
 * The one error a lab file can cause: which file, where in it, which field,
 * and what is wrong, printed as `labs/x.yaml:12:7 topology.hosts[0].name: …`
 * so editors and terminals can jump to it.
 */
export interface LabFileLocation {
  /** The file as the author knows it: relative to the working directory when inside it. */
  file: string;
  line: number;
  column: number;
  /** topology.hosts[0].veths[1].peer.namespace, or "(document)" for the whole file. */
  field: string;
}

export class LabFileError extends Error {
  override readonly name = "LabFileError";

  constructor(
    readonly location: LabFileLocation,
    readonly detail: string,
  ) {
    super(`${location.file}:${location.line}:${location.column} ${location.field}: ${detail}`);
  }
}
