/**
 * Matchers, the way lab checks compare text: a string written between
 * slashes ("/^veth/", "/reachable|stale/i") is a regular expression, searched
 * for anywhere in the value (anchor it with ^ and $ to match it whole);
 * anything else is compared exactly. Some checks compare differently for plain
 * strings (a substring, ignoring case): they pass their own `plain` rule.
 *
 * Loading a lab compiles every matcher once (matcherIssue), so a grader never
 * meets a regular expression that does not compile. The form itself is the
 * engine's (trace/text-matcher.ts), where a grading copy matches its trace.
 */
import { compileMatcherRegex, type PlainRule } from "../engine/index.js";

export type { PlainRule };

const CACHE_LIMIT = 2_000;
const compiled = new Map<string, RegExp>();

/** The regular expression a matcher stands for, or null when it is a plain string. Throws on a bad expression. */
export function matcherRegex(matcher: string, extraFlags = ""): RegExp | null {
  const key = `${extraFlags}\u0000${matcher}`;
  let regex = compiled.get(key);
  if (regex === undefined) {
    const made = compileMatcherRegex(matcher, extraFlags);
    if (made === null) return null;
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(key, (regex = made));
  }
  return regex;
}

/** Why a matcher cannot be used, or null when it is fine. */
export function matcherIssue(matcher: string): string | null {
  try {
    matcherRegex(matcher);
    return null;
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
}


/**
 * Does `value` match? A null or missing value never does. Numbers and
 * booleans are compared as the text they print as.
 */
export function matchText(matcher: string, value: string | number | boolean | null | undefined, plain: PlainRule = "exact"): boolean {
  if (value === null || value === undefined) return false;
  const text = String(value);
  const regex = matcherRegex(matcher);
  if (regex !== null) return regex.test(text);
  return plain === "exact" ? text === matcher : text.includes(matcher);
}

/** A student's answer: trimmed, case ignored, for plain strings and regular expressions alike. */
export function matchAnswer(matcher: string, answer: string): boolean {
  const value = answer.trim();
  const regex = matcherRegex(matcher, "i");
  if (regex !== null) return regex.test(value);
  return value.toLowerCase() === matcher.trim().toLowerCase();
}

/** A command line with runs of blanks collapsed, ends trimmed: how command-ran compares plain strings. */
export function normalizeCommand(command: string): string {
  return command.trim().replace(/\s+/g, " ");
}
