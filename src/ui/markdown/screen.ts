/**
 * The model's text made safe for a terminal, and what it takes on screen: how many rows a text fills at a width
 * (for erasing it again), and the sequence that erases them.
 */
import stringWidth from 'string-width';

// The model's text may carry terminal sequences (set the title, clear the screen, hyperlinks): OSC, DCS, SOS, PM
// and APC strings up to BEL or ST (or the line's end), CSI sequences, then every other control but the tab.
/* eslint-disable no-control-regex */
const TERMINAL_STRING = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?/g;
const CSI = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
/** A character that may start a sequence whose end is still to come. */
const INTRODUCER = /[\u001b\u0090\u0098\u009b\u009d-\u009f]/;
/* eslint-enable no-control-regex */
const TAB = '    ';

/**
 * One line of model text without anything a terminal would act on; tabs become 4 spaces, so the width we count
 * is the width shown. Our own styling is added after.
 */
export function stripTerminalSequences(line: string): string {
  return line.replace(TERMINAL_STRING, '').replace(CSI, '').replace(CONTROL, '').replaceAll('\t', TAB);
}

/** Whether a piece of a line may hold (part of) a terminal sequence, so the whole line must be cleaned again. */
export const mayStartSequence = (text: string): boolean => INTRODUCER.test(text);

/** The clean form of a piece with no sequence in it (no context needed: every control is dropped on its own). */
export const stripControls = (text: string): string => text.replace(CONTROL, '').replaceAll('\t', TAB);

const segmenter = new Intl.Segmenter();
// eslint-disable-next-line no-control-regex
const NARROW = /^[\u0020-\u007e]*$/;

/** Rows one line (no newline in it) fills on a terminal `columns` wide: a wide character that does not fit wraps whole. */
function lineRows(line: string, columns: number): number {
  if (NARROW.test(line)) return Math.max(1, Math.ceil(line.length / columns));
  let rows = 1;
  let column = 0;
  for (const { segment } of segmenter.segment(line)) {
    const width = stringWidth(segment);
    if (column + width > columns) {
      rows++;
      column = width;
    } else column += width;
  }
  return rows;
}

/** Rows a text written from the start of a row fills; the cursor ends on the last one (an empty last line counts). */
export function rowsOf(text: string, columns: number): number {
  let rows = 0;
  for (const line of text.split('\n')) rows += lineRows(line, columns);
  return rows;
}

/** Back to the start of the first row `text` took and erase from there to the end of the screen. */
export function eraseShown(text: string, columns: number): string {
  if (text === '') return '';
  const up = rowsOf(text, columns) - 1;
  return `\r${up > 0 ? `\u001b[${up}A` : ''}\u001b[J`;
}
