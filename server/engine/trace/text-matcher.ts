/**
 * Text matchers, the way lab checks compare text: a string written between
 * slashes ("/^veth/", "/reachable|stale/i") is a regular expression, searched
 * for anywhere in the value (anchor it with ^ and $ to match it whole);
 * anything else is compared exactly, or as a substring where a check says so.
 * Numbers and booleans are compared as the text they print as; a null or
 * missing value never matches.
 *
 * In the engine because a trace can be searched where it is made (a grading
 * copy's replay in a simulator worker, event-selector.ts) as well as on the
 * server (server/labs/matcher.ts builds on this). Compiling is the caller's
 * to do once: no cache lives here.
 */

const REGEX_FORM = /^\/(.+)\/([imsu]*)$/s;

export type PlainRule = "exact" | "substring";

/** The regular expression a matcher stands for, or null when it is a plain string. Throws on a bad expression. */
export function compileMatcherRegex(matcher: string, extraFlags = ""): RegExp | null {
  const form = REGEX_FORM.exec(matcher);
  if (form === null) return null;
  return new RegExp(form[1]!, [...new Set(form[2]! + extraFlags)].join(""));
}

export type TextMatch = (value: string | number | boolean | null | undefined) => boolean;

/** A matcher compiled into a test of values. */
export function textMatcher(matcher: string, plain: PlainRule = "exact"): TextMatch {
  const regex = compileMatcherRegex(matcher);
  return (value) => {
    if (value === null || value === undefined) return false;
    const text = String(value);
    if (regex !== null) return regex.test(text);
    return plain === "exact" ? text === matcher : text.includes(matcher);
  };
}
