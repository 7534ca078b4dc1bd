// Tab completion knows the capture and path tools: their names, their common options, and a device after tcpdump -i.
import { describe, expect, it } from "vitest";
import { complete, type CompletionNames } from "../../web/src/terminal/completion.js";

const names: CompletionNames = { devices: ["docker0", "eth0", "lo"], bridges: ["docker0"], containers: [], namespaces: [] };

describe("completion of tcpdump and traceroute", () => {
  it("completes their names and options, and the device after -i", () => {
    expect(complete("tcpd", 4, names).replacement).toBe("tcpdump ");
    expect(complete("tracer", 6, names).replacement).toBe("traceroute ");
    expect(complete("tcpdump -i dock", 15, names).replacement).toBe("docker0 ");
    expect(complete("traceroute -", 12, names).candidates).toContain("-I");
  });
});
