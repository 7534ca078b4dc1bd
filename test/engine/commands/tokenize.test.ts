import { describe, expect, it } from "vitest";
import { tokenize } from "../../../server/engine/commands/tokenize.js";

describe("tokenize", () => {
  it("splits words and honours quotes and escapes", () => {
    expect(tokenize(`docker inspect -f '{{.NetworkSettings.IPAddress}}' nginx-1`)).toEqual({ ok: true, argv: ["docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "nginx-1"] });
    expect(tokenize(`echo "a \\"b\\"" c\\ d`)).toEqual({ ok: true, argv: ["echo", 'a "b"', "c d"] });
  });
  it("refuses pipes, lists and redirections instead of passing them to a shell", () => {
    for (const l of ["ip addr | grep eth0", "ping 1.1.1.1; rm -rf /", "ip r > x", "echo $(id)"]) expect(tokenize(l).ok).toBe(false);
  });
  it("reports an unterminated quote", () => {
    expect(tokenize("echo 'abc")).toEqual({ ok: false, error: "unexpected EOF while looking for matching `''" });
  });
});
