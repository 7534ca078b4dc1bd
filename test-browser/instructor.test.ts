/**
 * An instructor in Chromium: creates a class of three (tokens and join
 * links), watches one student's session live and read-only while the
 * student works in another browser, runs grading and downloads the CSV, and
 * sees a broken lab file's error at its line and column.
 */
import { readFileSync } from "node:fs";
import { describe, expect } from "vitest";
import { browserTest } from "./browser-test.js";
import { INSTRUCTOR_TOKEN, screenshot, terminalText, typeInTerminal, waitForPrompt } from "./browser.js";

describe("an instructor in the browser", () => {
  const links: string[] = [];

  browserTest("signs in with the instructor token and creates a class of three with join links", async ({ server, page }) => {
    await page.goto(server.base);
    await page.locator(".signin input").fill(INSTRUCTOR_TOKEN);
    await page.locator(".signin button[type=submit]").click();
    await expect.poll(() => page.locator("[data-testid=me]").textContent()).toContain("instructor");
    await page.locator("a", { hasText: "Instructor" }).click();
    await page.locator("[data-testid=class-names]").fill("Li Lei\nHan Meimei\nLucy");
    await page.locator("[data-testid=create-class]").click();
    await expect.poll(() => page.locator("[data-join]").count()).toBe(3);
    for (const el of await page.locator("[data-join]").all()) links.push((await el.getAttribute("data-join"))!);
    expect(links.every((l) => l.startsWith(`${server.base}/#token=cnlab_`))).toBe(true);
    // Each card's QR code is drawn from its own link.
    expect(await page.locator("[data-testid=join-card] .qr svg").count()).toBe(3);
    for (const card of await page.locator("[data-testid=join-card]").all()) {
      expect(await card.locator(".qr").getAttribute("data-qr-for")).toBe(await card.locator("[data-join]").getAttribute("data-join"));
      expect(await card.locator(".qr svg path").count()).toBeGreaterThan(0);
    }
    await screenshot(page, "instructor-class");
    // Printed: only the cards, no menus, form or buttons.
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("[data-testid=class-names]").isVisible()).toBe(false);
    expect(await page.locator("[data-testid=join-card]").first().isVisible()).toBe(true);
    await screenshot(page, "instructor-class-print");
    await page.emulateMedia({ media: "screen" });
  });

  browserTest("watches Li Lei's session live, read-only: the terminal output and the trace arrive as Li Lei works", async ({ page, secondUser }) => {
    const s = secondUser.page;
    await s.goto(links[0]!);
    await s.locator("[data-lab=bridge-two-containers] a.btn").click();
    await s.locator(".pane.visible .xterm-rows").waitFor();
    await s.locator(`.terminals [data-target="node1/root"]`).click();
    await typeInTerminal(s, "brctl show");
    await s.keyboard.press("Enter");
    await waitForPrompt(s);

    await page.locator(".itabs a", { hasText: "Sessions" }).click();
    await page.locator("[data-owner='Li Lei'] [data-testid=watch]").click();
    await page.locator("[data-testid=read-only]").waitFor();
    expect(await page.locator("[data-testid=read-only]").textContent()).toContain("Li Lei");
    // Read-only: no step buttons, and the terminal takes no input.
    expect(await page.locator("[data-testid^=run-step]").count()).toBe(0);
    await page.locator(`.terminals [data-target="node1/root"]`).click();
    await expect.poll(() => terminalText(page)).toContain("veth9c02e56");

    await s.locator(`.terminals [data-target="node1/nginx-1"]`).click();
    await typeInTerminal(s, "ping -c 1 172.17.0.3");
    await s.keyboard.press("Enter");
    await waitForPrompt(s);

    await page.locator(`.terminals [data-target="node1/nginx-1"]`).click();
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toContain("1 packets transmitted, 1 received");
    await expect.poll(() => page.locator(".eventlist .row[data-kind=bridge-flood]").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await screenshot(page, "instructor-watch");
  });

  browserTest("runs grading for the lab, shows the per-task table and downloads the CSV", async ({ server, page }) => {
    await page.goto(`${server.base}/instructor/grading`);
    await page.locator("[data-testid=lab-select]").selectOption("bridge-two-containers");
    await page.locator("[data-testid=start-grading]").click();
    await expect.poll(() => page.locator("[data-testid=run-status]").textContent(), { timeout: 60_000 }).toMatch(/^done/);
    await expect.poll(() => page.locator("[data-testid=grading-table] tbody tr").count()).toBe(1);
    expect(await page.locator("[data-testid=grading-table] tbody tr").textContent()).toContain("Li Lei");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-testid=download-csv]").click()]);
    const csv = readFileSync(await download.path(), "utf8");
    expect(csv.split("\n")[0]).toMatch(/session|student|owner/i);
    expect(csv).toContain("Li Lei");
    expect(csv).toContain("ping-nginx-2");
    await screenshot(page, "instructor-grading");
  });

  browserTest("shows a broken lab file's error at its line and column", async ({ server, page }) => {
    await page.goto(`${server.base}/instructor/labs`);
    const yaml = readFileSync(new URL("../labs/bridge-two-containers.yaml", import.meta.url), "utf8")
      .replace("id: bridge-two-containers", "id: my-bridge-lab")
      .replace("difficulty: beginner", "difficulty: easy");
    await page.locator("[data-testid=lab-yaml]").fill(yaml);
    await page.locator("[data-testid=upload-lab]").click();
    const line = yaml.split("\n").findIndex((l) => l.startsWith("difficulty:")) + 1;
    await expect.poll(() => page.locator("[data-testid=lab-error]").textContent()).toContain(`line ${line}, column 1`);
    expect(await page.locator("[data-testid=lab-error]").textContent()).toContain("INVALID_LAB");
    expect(await page.locator(".yaml-view .bad").first().textContent()).toContain("difficulty: easy");
  });
});
