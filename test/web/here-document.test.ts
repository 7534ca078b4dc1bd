/** The terminal collects a here-document line by line and sends it as one command, as bash reads it before running anything. */
import { describe, expect, it } from "vitest";
import { continueDocument, openDocument } from "../../web/src/terminal/here-document.js";

describe("typing a here-document", () => {
  it("opens on <<WORD, goes on until the delimiter alone, and gives the lines joined", () => {
    expect(openDocument("kubectl get pods")).toBeNull();
    const doc = openDocument("kubectl apply -f - <<'EOF'")!;
    expect(continueDocument(doc, "kind: Service")).toBeNull();
    expect(continueDocument(doc, " EOF")).toBeNull();
    expect(continueDocument(doc, "EOF")).toBe("kubectl apply -f - <<'EOF'\nkind: Service\n EOF\nEOF");
  });

  it("<<- ends on a delimiter indented with tabs", () => {
    const doc = openDocument("cat <<-END")!;
    expect(continueDocument(doc, "\tEND")).toBe("cat <<-END\n\tEND");
  });
});
