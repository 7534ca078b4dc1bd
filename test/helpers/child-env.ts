/**
 * The environment for a process a test spawns (the server, the grading
 * command, the example clients): the caller's environment without any of
 * cnlab's settings, then exactly the settings the test names. A shell that
 * exports CNLAB_INSTRUCTOR_TOKEN, PORT or DATABASE_URL (a developer's own
 * server setup) must not change what a test starts; a setting the test
 * leaves out takes the default config.ts gives it.
 *
 * PATH, HOME and the like pass through: the child needs them to run at all.
 */
import { CONFIG_DEFAULTS } from "../../server/config.js";

/** The server's variables (PORT, HOST, DATABASE_URL, LOG_LEVEL, CNLAB_…) and every other CNLAB_ one (the grading command's CNLAB_SERVER, CNLAB_TOKEN). */
export function isCnlabVariable(name: string): boolean {
  return name in CONFIG_DEFAULTS || name.startsWith("CNLAB_");
}

export function childEnv(settings: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!isCnlabVariable(name)) env[name] = value;
  return { ...env, ...settings };
}
