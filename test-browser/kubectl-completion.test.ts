/**
 * Tab completion of kubectl in the browser's terminal, on the
 * service-debugging lab: the kind, then a pod's name taken from the
 * session's state, then the command runs and shows the unready pod.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, INSTRUCTOR_TOKEN, launchUser, startServer, terminalText, typeInTerminal, waitForPrompt, type RunningServer } from "./browser.js";

describe("kubectl completion in the browser", () => {
  let server: RunningServer;
  let user: Awaited<ReturnType<typeof launchUser>>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    user = await launchUser();
    page = user.page;
    page.on("pageerror", (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await user?.close();
    await server?.stop();
  });

  it("completes kubectl's kind and a pod of the session, then runs it", async () => {
    const { token } = await apiCall<{ token: string }>(server.base, INSTRUCTOR_TOKEN, "POST", "/api/tokens", { name: "Han Meimei" });
    await page.goto(`${server.base}/#token=${token}`);
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
