/**
 * Lab texts are YAML block scalars: hard-wrapped lines, blank lines between
 * paragraphs, `code` in backticks (docs/lab-format.md). Shown as paragraphs
 * that flow with the panel's width, with the code set as code.
 */
export function Paragraphs(props: { text: string }) {
  const paragraphs = props.text.trim().split(/\n\s*\n/);
  return (
    <>
      {paragraphs.map((p, i) => (
        <p key={i}>{inline(joinLines(p))}</p>
      ))}
    </>
  );
}

/** Joins a paragraph's lines: with a space between Latin words, with nothing between Chinese characters. */
function joinLines(paragraph: string): string {
  return paragraph
    .split("\n")
    .map((l) => l.trim())
    .reduce((acc, line) => (acc === "" ? line : /[\u3000-\u9fff\uff00-\uffef]$/.test(acc) && /^[\u3000-\u9fff\uff00-\uffef]/.test(line) ? acc + line : `${acc} ${line}`), "");
}

function inline(text: string) {
  return text.split(/(`[^`]+`)/).map((part, i) => (part.startsWith("`") && part.endsWith("`") && part.length > 1 ? <code key={i}>{part.slice(1, -1)}</code> : part));
}
