/** The one multi-line command form: a here-document on standard input, as bash reads it. */
import { describe, expect, it } from "vitest";
import { splitHereDocument } from "../../../server/engine/commands/here-document.js";

describe("here-documents", () => {
  it("takes the lines up to the delimiter as standard input, quoted or not, <<- stripping tabs", () => {
    expect(splitHereDocument("kubectl apply -f - <<EOF\na: 1\n  b: 2\nEOF")).toEqual({ ok: true, line: "kubectl apply -f -", stdin: "a: 1\n  b: 2\n", warning: null });
    expect(splitHereDocument("cat <<'END'\nx\nEND\n")).toMatchObject({ ok: true, line: "cat", stdin: "x\n" });
    expect(splitHereDocument('cat <<"END"\nx\nEND')).toMatchObject({ ok: true, stdin: "x\n" });
    expect(splitHereDocument("cat <<-EOF\n\tx\n\tEOF")).toMatchObject({ ok: true, stdin: "x\n" });
  });

  it("warns as bash does when the delimiter never comes, and refuses any other line break", () => {
    expect(splitHereDocument("cat <<EOF\nx")).toEqual({ ok: true, line: "cat", stdin: "x\n", warning: "bash: warning: here-document at line 1 delimited by end-of-file (wanted `EOF')" });
    expect(splitHereDocument("ip link\nip route")).toMatchObject({ ok: false });
    expect(splitHereDocument("cat <<EOF\nx\nEOF\nip route")).toMatchObject({ ok: false });
    expect(splitHereDocument("ip link")).toEqual({ ok: true, line: "ip link", stdin: undefined, warning: null });
  });
});
