/** `-a/--attach` end to end: the exact request body per attachment kind and API, and every refusal before any request. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { useMockServer } from './support/fixture.js';
import { PDF, pngHeader } from './support/images.js';

const server = useMockServer();

function inHome(files: Record<string, string | Buffer>): string {
  const home = makeHome();
  for (const [name, data] of Object.entries(files)) writeFileSync(join(home, name), data);
  return home;
}

function gpt(args: string[], options: CliOptions = {}) {
  return runGpt(args, { ...options, env: { OPENAI_API_KEY: 'sk-test-ATTACH0123456789', OPENAI_BASE_URL: server.url, ...options.env } });
}

const body = (i = 0) => server.requests[i]!.body as Record<string, any>;
const png = pngHeader(64, 48);
const pngUrl = `data:image/png;base64,${png.toString('base64')}`;
const pdfUrl = `data:application/pdf;base64,${PDF.toString('base64')}`;

describe('attachments on chat completions', () => {
  it('an image is an image_url part with a data URL after the text', async () => {
    const home = inHome({ 'shot.png': png });
    const r = await gpt(['chat', '-m', 'gpt-5.2', '-a', 'shot.png', 'What is wrong?'], { home });
    expect([r.code, r.stderr]).toEqual([0, expect.not.stringContaining('warning')]);
    expect(body().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is wrong?' }, { type: 'image_url', image_url: { url: pngUrl, detail: 'auto' } }] },
    ]);
  });

  it('a PDF is a file part with its name and a data URL; an http URL image is passed as the URL; --detail applies', async () => {
    const home = inHome({ 'contract.pdf': PDF });
    const r = await gpt(['chat', '-m', 'gpt-5.2', '--detail', 'low', '-a', 'contract.pdf', '-a', 'https://example.com/dog.jpg', 'Clauses?'], { home });
    expect(r.code).toBe(0);
    expect(body().messages[0].content).toEqual([
      { type: 'text', text: 'Clauses?' },
      { type: 'file', file: { filename: 'contract.pdf', file_data: pdfUrl } },
      { type: 'image_url', image_url: { url: 'https://example.com/dog.jpg', detail: 'low' } },
    ]);
  });

  it('a text file is a fenced block named by the file, in plain string content', async () => {
    const home = inHome({ 'app.ts': 'const a = 1;\n' });
    const r = await gpt(['chat', '-a', 'app.ts', 'Review'], { home });
    expect(r.code).toBe(0);
    expect(body().messages).toEqual([{ role: 'user', content: 'Review\n\napp.ts:\n```\nconst a = 1;\n```' }]);
  });

  it('-a - reads the attachment from stdin (so stdin is not also the message)', async () => {
    const r = await gpt(['chat', '-m', 'gpt-5.2', '-a', '-', 'Describe'], { stdin: png });
    expect(r.code).toBe(0);
    expect(body().messages[0].content[1]).toEqual({ type: 'image_url', image_url: { url: pngUrl, detail: 'auto' } });
  });
});

describe('attachments on the Responses API', () => {
  it('input_text, input_image and input_file parts (file by data or by URL)', async () => {
    const home = inHome({ 'shot.png': png, 'c.pdf': PDF });
    const r = await gpt(['chat', '--api', 'responses', '-m', 'gpt-5.2', '--detail', 'high', '-a', 'shot.png', '-a', 'c.pdf', '-a', 'https://example.com/doc.pdf', 'Read'], { home });
    expect(r.code).toBe(0);
    expect(server.requests[0]!.path).toMatch(/\/responses$/);
    expect(body().input).toEqual([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Read' },
          { type: 'input_image', image_url: pngUrl, detail: 'high' },
          { type: 'input_file', filename: 'c.pdf', file_data: pdfUrl },
          { type: 'input_file', file_url: 'https://example.com/doc.pdf' },
        ],
      },
    ]);
  });
});

describe('bad attachments: one line, exit 2, nothing sent', () => {
  const cases: Array<[string, string[], Record<string, string | Buffer>, RegExp]> = [
    ['missing file', ['-a', 'nope.png'], {}, /^gpt: --attach nope\.png: no such file\n$/],
    ['unknown binary', ['-a', 'blob.bin'], { 'blob.bin': Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0]) }, /blob\.bin: binary data of unknown type is not supported/],
    ['unsupported type', ['-a', 'a.zip'], { 'a.zip': Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(60)]) }, /a\.zip: application\/zip files are not supported/],
    ['image to a text-only model', ['-m', 'gpt-3.5-turbo', '-a', 'i.png'], { 'i.png': png }, /i\.png: gpt-3\.5-turbo does not take images/],
    ['PDF by URL to chat completions', ['-a', 'https://example.com/x.pdf'], {}, /needs the Responses API; add --api responses/],
    ['image over 20 MB', ['-a', 'big.png'], { 'big.png': Buffer.concat([png, Buffer.alloc(21 * 1024 * 1024)]) }, /big\.png: 21\.0 MB is over the 20\.0 MB limit for images/],
  ];
  it.each(cases)('%s', async (_name, args, files, message) => {
    const r = await gpt(['chat', ...args, 'hi'], { home: inHome(files) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it('an image to a model of unknown vision is sent with a warning', async () => {
    const r = await gpt(['chat', '-m', 'mystery-9', '-a', 'i.png', 'hi'], { home: inHome({ 'i.png': png }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('not known whether mystery-9 takes images');
    expect(server.requests).toHaveLength(1);
  });
});

describe('image tokens before sending', () => {
  it('gpt cost -a prices the image per model by its formula, marked approximate', async () => {
    const home = inHome({ 'photo.png': pngHeader(1024, 1024) });
    const text = await gpt(['cost', '-a', 'photo.png', 'Describe it', '-m', 'gpt-5.2,gpt-5-mini'], { home });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^gpt-5\.2 +~\d/m);
    expect(text.stdout).toContain('image tokens by OpenAI\'s published formula, approximate (the API\'s usage is the real figure): gpt-5.2 ~630, gpt-5-mini ~1,659');
    const json = await gpt(['cost', '--json', '-a', 'photo.png', 'Describe it', '-m', 'gpt-5.2,gpt-5-mini'], { home });
    const noImage = await gpt(['cost', '--json', 'Describe it', '-m', 'gpt-5.2,gpt-5-mini'], { home });
    const [withRows, plainRows] = [JSON.parse(json.stdout).models, JSON.parse(noImage.stdout).models];
    expect(withRows.map((m: any) => m.image_tokens)).toEqual([70 + 140 * 4, Math.ceil(32 * 32 * 1.62)]);
    expect(withRows.map((m: any) => m.input_tokens - m.image_tokens)).toEqual(plainRows.map((m: any) => m.input_tokens));
    expect(server.requests).toHaveLength(0);
  });

  it('gpt run --dry-run shows the image parts and ~ image tokens; nothing is sent', async () => {
    const home = inHome({ 'photo.png': pngHeader(300, 200), 'describe.md': 'Describe the picture.' });
    const r = await gpt(['run', './describe.md', '-m', 'gpt-4o', '-a', 'photo.png', '--dry-run', '--json'], { home });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.image_tokens).toBe(85 + 170);
    expect(plan.request.body.messages.at(-1).content[1]).toEqual({ type: 'image_url', image_url: { url: `data:image/png;base64,${pngHeader(300, 200).toString('base64')}`, detail: 'auto' } });
    const human = await gpt(['run', './describe.md', '-m', 'gpt-4o', '-a', 'photo.png', '--dry-run'], { home });
    expect(human.stderr).toMatch(/input tokens: +~\d+ \(~255 for images, by OpenAI's formula\)/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('the context-window guard', () => {
  it('gpt run with input + max output over the window: exit 2 with the numbers, no request', async () => {
    const home = inHome({ 'sum.md': 'Summarise:\n\n{{input}}' });
    const r = await gpt(['run', './sum.md', '-m', 'gpt-4', '--max-output-tokens', '1000'], { home, stdin: 'lorem ipsum dolor sit amet '.repeat(2000) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gpt: [\d,]+ input tokens \+ 1,000 max output tokens is over gpt-4's context window of 8,192; nothing was sent\. Split the input with --chunk, or use a model with a bigger window \(see gpt models\)\n$/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('attachments on batch lines', () => {
  it('are read relative to the batch file and confined to its folder', async () => {
    const { mkdirSync, symlinkSync, readFileSync } = await import('node:fs');
    const home = inHome({ 'secret.png': png });
    mkdirSync(join(home, 'pages'));
    writeFileSync(join(home, 'pages', 'a.png'), png);
    symlinkSync(join(home, 'secret.png'), join(home, 'pages', 'link.png'));
    const lines = [
      { id: 'a', prompt: 'Describe', attachments: ['a.png'] },
      { id: 'up', prompt: 'Describe', attachments: ['../secret.png'] },
      { id: 'abs', prompt: 'Describe', attachments: [join(home, 'secret.png')] },
      { id: 'link', prompt: 'Describe', attachments: ['link.png'] },
      { id: 'bad', prompt: 'Describe', attachments: 'a.png' },
    ];
    writeFileSync(join(home, 'pages', 'in.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const r = await gpt(['batch', 'pages/in.jsonl', '-m', 'gpt-5.2', '-o', 'out.jsonl', '--concurrency', '1'], { home });
    expect(r.code).toBe(8);
    expect(server.requests).toHaveLength(1);
    expect(body().messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image_url', image_url: { url: pngUrl, detail: 'auto' } }] }]);
    const out = Object.fromEntries(readFileSync(join(home, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((l) => [l.id, l]));
    expect(out.a.status).toBe('ok');
    expect(out.up.error.message).toBe("line 2: attachment ../secret.png: outside the batch file's folder");
    expect(out.abs.error.message).toMatch(/line 3: attachment .*secret\.png: must be a path relative to the batch file/);
    expect(out.link.error.message).toBe("line 4: attachment link.png: outside the batch file's folder");
    expect(out.bad.error.message).toMatch(/`attachments` must be an array/);
  });
});

describe('gpt cost on a batch file with attachments', () => {
  it('counts a line\'s text attachment and skips a line whose attachment escapes the folder', async () => {
    const home = inHome({ 'notes.txt': 'alpha beta gamma delta '.repeat(50) });
    const lines = [{ id: 'a', prompt: 'Summarise', attachments: ['notes.txt'] }, { id: 'b', prompt: 'Summarise', attachments: ['../x.txt'] }];
    writeFileSync(join(home, 'in.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    writeFileSync(join(home, 'plain.jsonl'), JSON.stringify({ id: 'a', prompt: 'Summarise' }));
    const withFile = await gpt(['cost', 'in.jsonl', '--json', '-m', 'gpt-5.2'], { home });
    const plain = await gpt(['cost', 'plain.jsonl', '--json', '-m', 'gpt-5.2'], { home });
    expect(withFile.code).toBe(0);
    const [a, b] = [JSON.parse(withFile.stdout), JSON.parse(plain.stdout)];
    expect(a.models[0].input_tokens - b.models[0].input_tokens).toBeGreaterThan(200);
    expect(JSON.stringify(a)).toContain("line 2: attachment ../x.txt: outside the batch file's folder");
    expect(server.requests).toHaveLength(0);
  });
});
