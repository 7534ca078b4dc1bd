/**
 * Tab completion of kubectl in the browser's terminal, on the
 * service-debugging lab: the kind, then a pod's name taken from the
 * session's state, then the command runs and shows the unready pod.
 */
import { describe, expect } from "vitest";
import { browserTest } from "./browser-test.js";
import { joinAs, terminalText, typeInTerminal, waitForPrompt } from "./browser.js";

describe("kubectl completion in the browser", () => {
  browserTest("completes kubectl's kind and a pod of the session, then runs it", async ({ server, page, pageErrors }) => {
    await joinAs(page, server.base, "Han Meimei");
    await page.locator("[data-lab=service-debugging] a.btn").click();
    await page.locator("[data-testid=bench]").waitFor();
    await page.locator(".pane.visible .xterm-rows").waitFor();
    await page.locator('.terminals [data-target="node2/root"]').click();
    await waitForPrompt(page);
    await typeInTerminal(page, "kubectl get po");
    await page.keyboard.press("Tab");
    await expect.poll(() => terminalText(page)).toContain("kubectl get pods ");
    await typeInTerminal(page, "web-6f7b9-q");
    await page.keyboard.press("Tab");
    await expect.poll(() => terminalText(page)).toContain("kubectl get pods web-6f7b9-qm8zd");
    await page.keyboard.press("Enter");
    await expect.poll(() => terminalText(page)).toContain("web-6f7b9-qm8zd   0/1     Running");
    expect(pageErrors).toEqual([]);
  });
});
