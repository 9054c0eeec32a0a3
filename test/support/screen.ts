/**
 * A small terminal for renderer tests: what a stream of bytes leaves on a screen `columns` wide with unlimited
 * rows. It knows what the live Markdown renderer sends: text (wide characters take two columns and wrap whole,
 * a full row wraps on the next character), CR, LF, CSI n A (up), CSI J (erase down), CSI K (erase line) and SGR
 * (kept with each cell as the attributes it sets, so styling is compared too). Anything else is an error, so a
 * stray sequence fails a test. `plain` gives the rows without their styling.
 */
import stringWidth from 'string-width';

/** SGR parameters to the attribute they set ('' = off), by attribute. */
function applySgr(attrs: Map<string, string>, params: string): void {
  for (const p of (params || '0').split(';').map(Number)) {
    if (p === 0) attrs.clear();
    else if (p === 22) (attrs.delete('1'), attrs.delete('2'));
    else if (p >= 23 && p <= 29) attrs.delete(String(p - 20));
    else if (p === 39) attrs.delete('fg');
    else if (p >= 30 && p <= 37) attrs.set('fg', String(p));
    else attrs.set(String(p), String(p));
  }
}

export function screenOf(bytes: string, columns: number, { plain = false } = {}): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  let pendingWrap = false;
  const attrs = new Map<string, string>();
  let style = '';
  const cells = () => (rows[row] ??= []);
  // eslint-disable-next-line no-control-regex
  const token = /\u001b\[([0-9;]*)([A-Za-z])|\r|\n|[^\u001b\r\n]/gu;
  let at = 0;
  for (const m of bytes.matchAll(token)) {
    if (m.index !== at) throw new Error(`unexpected bytes at ${at}: ${JSON.stringify(bytes.slice(at, at + 10))}`);
    at = m.index + m[0].length;
    const [all, params, final] = m;
    if (final) {
      if (final === 'm') {
        applySgr(attrs, params ?? '');
        style = plain ? '' : [...attrs.values()].sort().join(';');
      }
      else if (final === 'A') {
        row = Math.max(0, row - Number(params || 1));
        pendingWrap = false;
      } else if (final === 'J') {
        rows.length = row + 1;
        cells().length = Math.min(cells().length, col);
      } else if (final === 'K') cells().length = Math.min(cells().length, col);
      else throw new Error(`unexpected sequence ${JSON.stringify(all)}`);
    } else if (all === '\r') {
      col = 0;
      pendingWrap = false;
    } else if (all === '\n') {
      row++;
      col = 0;
      pendingWrap = false;
      cells();
    } else {
      const width = stringWidth(all);
      if (pendingWrap || col + width > columns) {
        row++;
        col = 0;
        pendingWrap = false;
        cells();
      }
      const line = cells();
      while (line.length < col) line.push(' ');
      line[col] = style ? `{${style}}${all}` : all;
      if (width === 2) line[col + 1] = '';
      col += width;
      if (col >= columns) {
        col = columns - 1;
        pendingWrap = true;
      }
    }
  }
  return rows.map((r) => r.join('').replace(/ +$/, ''));
}
