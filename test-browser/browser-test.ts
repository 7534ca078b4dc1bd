/**
 * The test function of every browser test file: `browserTest` hands a test
 * the file's own server, the first user's Chromium and page, the errors that
 * page has thrown, and a second user's Chromium for a test that needs two
 * people at once. Each is made once per file, the first time a test asks for
 * it, and closed after the file's last test, so a file's tests follow one
 * another as one person's morning does: signed in once, one session, one
 * browser. It does not sign anyone in; `joinAs` (browser.ts) does that.
 */
import { test } from "vitest";
import { launchUser, startServer, type BrowserUser } from "./browser.js";

/** One person's Chromium for the rest of the file. */
async function userForTheFile({}: object, { onCleanup }: { onCleanup(cleanup: () => Promise<void>): void }): Promise<BrowserUser> {
  const user = await launchUser();
  onCleanup(() => user.close());
  return user;
}

export const browserTest = test
  .extend("server", { scope: "file" }, async ({}, { onCleanup }) => {
    const server = await startServer();
    onCleanup(() => server.stop());
    return server;
  })
  .extend("user", { scope: "file" }, userForTheFile)
  .extend("page", { scope: "file" }, ({ user }) => user.page)
  // Made before the file's first test (auto), so an error the page throws in any test is kept, not only those after a test first asks for the list.
  .extend("pageErrors", { scope: "file", auto: true }, ({ page }) => {
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    return errors;
  })
  .extend("secondUser", { scope: "file" }, userForTheFile);
