/**
 * A student's whole lab in Chromium: signs in through a join link, opens
 * bridge-two-containers, types every walkthrough step into the terminals
 * (Tab completion included), steps through the ping's trace to docker0
 * flooding the ARP request (lit on the diagram), opens the ICMP layer of an
 * echo request in the inspector (its bytes lit in the hex view), downloads
 * a pcap that parses, and finishes the tasks to full marks.
 */
import { readFileSync } from "node:fs";
import { describe, expect } from "vitest";
import { browserTest } from "./browser-test.js";
import { apiCall, INSTRUCTOR_TOKEN, joinAs, parsePcap, screenshot, terminalText, typeInTerminal, waitForPrompt } from "./browser.js";

interface Lab {
  walkthrough: Array<{ host: string; namespace?: string; command: string }>;
}

describe("a student in the browser", () => {
  browserTest("signs in through a join link, which leaves no token in the address bar", async ({ server, page }) => {
    await joinAs(page, server.base, "Li Lei");
    await expect.poll(() => page.locator("[data-testid=me]").textContent()).toContain("Li Lei");
    expect(page.url()).not.toContain("token");
    await page.locator("[data-lab=bridge-two-containers]").waitFor();
    await screenshot(page, "catalogue");
  });

  browserTest("opens bridge-two-containers and runs every walkthrough step from the terminal, with Tab completion", async ({ server, page }) => {
    await page.locator("[data-lab=bridge-two-containers] a.btn").click();
    await page.locator("[data-testid=bench]").waitFor();
    await page.locator(".pane.visible .xterm-rows").waitFor();
    const lab = await apiCall<Lab>(server.base, INSTRUCTOR_TOKEN, "GET", "/api/labs/bridge-two-containers");
    let completed = 0;
    for (const [i, step] of lab.walkthrough.entries()) {
      const target = `${step.host}/${step.namespace ?? "root"}`;
      await page.locator(`.terminals [data-target="${target}"]`).click();
      if (step.command === "brctl show") {
        // Tab completes "sh" to the common prefix of show and showmacs.
        await typeInTerminal(page, "brctl sh");
        await page.keyboard.press("Tab");
        await expect.poll(() => terminalText(page)).toContain("brctl show");
        completed++;
      } else if (step.command === "bridge fdb show br docker0") {
        await typeInTerminal(page, "bridge fdb show br do");
        await page.keyboard.press("Tab");
        await expect.poll(() => terminalText(page)).toContain("bridge fdb show br docker0");
        completed++;
      } else {
        await typeInTerminal(page, step.command);
      }
      await page.keyboard.press("Enter");
      await page.locator(`.step[data-step="${i}"].done`).waitFor({ timeout: 30_000 });
      await waitForPrompt(page);
      if (step.command === "ping -c 1 172.17.0.3") {
        expect(await terminalText(page)).toContain("1 packets transmitted, 1 received");
        expect(await terminalText(page)).toContain("root@nginx-1:/#");
        await screenshot(page, "bench-after-ping");
      }
    }
    expect(completed).toBe(2);
    expect(await page.locator(".step.done").count()).toBe(lab.walkthrough.length);
  });

  browserTest("steps through the ping's trace to docker0 flooding the ARP request, lit on the diagram", async ({ page }) => {
    await page.locator("[data-testid=trace-command]").selectOption({ label: "#5 nginx-1$ ping -c 1 172.17.0.3" });
    const current = page.locator(".eventlist .row.current");
    for (let i = 0; i < 40; i++) {
      await page.locator("[data-testid=step-forward]").click();
      if ((await current.getAttribute("data-kind")) === "bridge-flood") break;
    }
    expect(await current.getAttribute("data-kind")).toBe("bridge-flood");
    expect(await current.textContent()).toContain("docker0 floods broadcast ff:ff:ff:ff:ff:ff from veth9c02e56 to vethb4963f3");
    const lit = (await page.locator("[data-testid=topology]").getAttribute("data-lit"))!.split(" ");
    expect(lit).toContain("d:node1/root/docker0");
    expect(lit).toContain("d:node1/root/vethb4963f3");
    expect(lit).toContain("port:d:node1/root/vethb4963f3");
    expect(await page.locator("[data-testid=decision]").textContent()).toContain("flooded from veth9c02e56 to vethb4963f3");
    await screenshot(page, "trace-arp-flood");
  });

  browserTest("opens the ICMP layer of an echo request and sees its bytes lit in the hex view", async ({ page }) => {
    await page.locator("[data-testid=filter-kind]").selectOption("frame-tx");
    await page.locator(".eventlist .row", { hasText: "ICMP echo request" }).first().click();
    await page.locator("[data-testid=layer-icmp] > button").click();
    await page.locator("[data-testid=layer-icmp] li[data-field=Identifier]").click();
    // The identifier is two bytes, at offsets 38 and 39 of the frame; the whole ICMP message is lit around them.
    await expect.poll(() => page.locator("[data-testid=hex] span.b.sel").count()).toBe(2);
    expect(await page.locator("[data-testid=hex] span.b.sel").first().getAttribute("data-offset")).toBe("38");
    expect(await page.locator("[data-testid=hex] span.b.layer-on").count()).toBe(64);
    await screenshot(page, "inspector-icmp");
    await page.locator("[data-testid=filter-kind]").selectOption("");
  });

  browserTest("shows docker0's frames as tcpdump -n -e prints them and downloads a pcap that parses", async ({ page }) => {
    await page.locator("[data-testid=captures-tab]").click();
    await expect.poll(() => page.locator("[data-testid=capture-lines]").textContent()).toContain("ethertype ARP (0x0806), length 42: Request who-has 172.17.0.3 tell 172.17.0.2");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-testid=download-pcap]").click()]);
    const file = await download.path();
    const pcap = parsePcap(readFileSync(file));
    expect(pcap.linkType).toBe(1);
    // The file holds the frames the panel lists for docker0, no more and no fewer.
    const lines = await page.locator("[data-testid=capture-lines] > div").count();
    expect(lines).toBeGreaterThan(0);
    expect(pcap.packets).toBe(lines);
    expect(download.suggestedFilename()).toMatch(/docker0\.pcap$/);
  });

  browserTest("highlights the kernel tables' rows a command changed", async ({ page }) => {
    await page.locator("[data-testid=tables-tab]").click();
    await page.locator(`.terminals [data-target="node1/root"]`).click();
    await typeInTerminal(page, "docker run -d --name nginx-3 nginx");
    await page.keyboard.press("Enter");
    await waitForPrompt(page);
    // nginx-3's veth joined docker0: its FDB gains the new port's own MAC, and the host's links table the veth.
    await page.locator("[data-table=links] tr.changed").first().waitFor();
    const rows = await page.locator("[data-table=links] tbody tr").count();
    // lo, eth0, docker0 and three veths.
    expect(rows).toBe(6);
    // The diagram grew too: nginx-3's namespace with its eth0.
    await expect.poll(() => page.locator("[data-testid=topology]").getAttribute("data-nodes")).toContain("d:node1/nginx-3/eth0");
    const changed = await page.locator("[data-table=links] tr.changed").allTextContents();
    expect(changed.some((row) => /^veth[0-9a-f]{7}vethUPdocker0\d+\/\d+$/.test(row) && !row.startsWith("veth9c02e56") && !row.startsWith("vethb4963f3"))).toBe(true);
    await screenshot(page, "kernel-tables");
    // Docker's iptables rules with their counters, and conntrack's table, below the others.
    const iptables = await page.locator("[data-table=iptables] tbody tr").allTextContents();
    expect(iptables.some((row) => row.startsWith("nat-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"))).toBe(true);
    expect(iptables.some((row) => /^filter-A FORWARD -j DOCKER-USER\d+$/.test(row))).toBe(true);
    await page.locator("[data-table=conntrack]").scrollIntoViewIfNeeded();
    await screenshot(page, "kernel-tables-netfilter");
  });

  browserTest("keeps every trace event once across a dropped WebSocket", async ({ server, page }) => {
    await page.locator(".bench [role=tablist] button", { hasText: "Trace" }).click();
    await page.evaluate(() => (globalThis as unknown as { cnlabTraceSocket: { dropForTest(): void } }).cnlabTraceSocket.dropForTest());
    await expect.poll(() => page.locator("[data-testid=socket-status]").textContent()).toContain("live");
    await page.locator(`.terminals [data-target="node1/nginx-1"]`).click();
    await typeInTerminal(page, "ping -c 1 172.17.0.4");
    await page.keyboard.press("Enter");
    await waitForPrompt(page);
    const session = await page.locator("[data-testid=bench]").getAttribute("data-session");
    const { nextSeq } = await apiCall<{ nextSeq: number }>(server.base, INSTRUCTOR_TOKEN, "GET", `/api/sessions/${session}`);
    await page.locator("[data-testid=trace-command]").selectOption("-1");
    await expect.poll(() => page.locator("[data-testid=player-pos]").textContent()).toBe(`0/${nextSeq}`);
  });

  browserTest("answers the question task and reaches full progress", async ({ page }) => {
    await page.locator("[data-testid=tasks-tab]").click();
    await page.locator("[data-testid=answer-which-port]").fill("vethb4963f3");
    await page.locator("[data-task=which-port] button[type=submit]").click();
    await expect.poll(() => page.locator("[data-testid=score]").textContent(), { timeout: 20_000 }).toBe("60/60");
    expect(await page.locator(".task .status.passed").count()).toBe(5);
    await screenshot(page, "tasks-done");
  });

  browserTest("switches to Chinese and to the dark theme, the lab's own texts included", async ({ page, pageErrors }) => {
    await page.locator("button", { hasText: "中文" }).click();
    await page.locator(".bench [role=tab]", { hasText: "指南" }).click();
    await expect.poll(() => page.locator(".guide").textContent()).toContain("容器 nginx-1（172.17.0.2）和 nginx-2（172.17.0.3）运行在 node1 上");
    await page.locator("button", { hasText: "深色" }).click();
    // The page sets the theme after it renders the click: wait for it rather than read it at once.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }).document.documentElement.dataset.theme)).toBe("dark");
    await screenshot(page, "bench-zh-dark");
    await page.locator("button", { hasText: "EN" }).click();
    await page.locator("button", { hasText: "Light" }).click();
    expect(pageErrors).toEqual([]);
  });
});
