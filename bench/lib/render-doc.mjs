/** A long Markdown answer of the kind a model writes: headings, paragraphs, lists, fenced code in three languages, a table, a quote. */
const section = (n) => `## ${n}. Streaming a response without blocking

When the client reads a **server-sent event** stream, each \`data:\` line carries a JSON chunk with a small
delta of text. The renderer must show those deltas at once, and only *re-render* a line once it is complete,
so the reader never stares at a blank screen. See [the SSE spec](https://html.spec.whatwg.org/multipage/server-sent-events.html) for the framing rules.

- Decode bytes incrementally, because a multi-byte character may be split between two reads.
- Keep a small buffer for the current line and flush it on every event-loop turn.
  - Nested detail: count wrapped rows with the terminal width, so the erase goes back far enough.
- Never re-render what is already final.

\`\`\`ts
export async function* lines(stream: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\\n')) !== -1) {
      yield buffer.slice(0, newline); // one complete line
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer) yield buffer;
}
\`\`\`

| approach | first byte | CPU per token | notes |
|:---------|-----------:|--------------:|:------|
| raw bytes | 0 ms | lowest | no styling at all |
| line by line | 0 ms | low | re-render on newline |
| whole answer | end | highest | blank screen meanwhile |

\`\`\`python
def chunks(text, size=4):
    """Split text into pieces of at most size characters."""
    return [text[i:i + size] for i in range(0, len(text), size)]
\`\`\`

> A renderer that waits for the whole answer is simpler, but the reader pays for it with a blank screen.

1. Measure the time per token.
2. Compare it with the arrival rate: at 1,000 tokens per second, each token has one millisecond.
3. Keep the headroom for the terminal itself.

`;

export function renderDoc() {
  return `# Live Markdown in the terminal\n\n${[1, 2, 3].map(section).join('\n')}That is all.\n`;
}
