/** The browser tests need the built page: build it once when web/dist is missing (npm install builds it). */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, "..");
  if (!existsSync(path.join(root, "web", "dist", "index.html"))) {
    execFileSync("npm", ["run", "build:web"], { cwd: root, stdio: "inherit" });
  }
}
