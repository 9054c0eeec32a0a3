// Puts every module `gpt chat` loads before its first token into ONE chunk (scripts/build.mjs uses it).
// esbuild's code splitting makes one chunk per set of entries (dist/cli.js and every import() target) that reach
// a module; chat's ~75 modules were reached by ~25 different sets, so Node resolved, read and linked 27 files
// at every start of chat (and most of them for run). This plugin appends `import 'gpt-chat-path'` to every entry:
// a virtual module importing the whole chat path, so every entry reaches all of it and esbuild emits it as one chunk.
// Other commands then load the chat path too (~350 kB, declarations only, no top-level side effects).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const HUB = 'gpt-chat-path';

/** Project files reachable from `roots` through static imports, from an esbuild metafile (paths relative to cwd). */
function staticClosure(metafile, roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop();
    if (seen.has(file) || !metafile.inputs[file]) continue;
    seen.add(file);
    for (const i of metafile.inputs[file].imports) if (i.kind === 'import-statement' && !i.external) stack.push(i.path);
  }
  return [...seen].filter((file) => file.startsWith('src/'));
}

/** The project files esbuild makes entries of: the given entry points and every import() target among our sources. */
function entries(metafile, entryPoints) {
  const found = new Set(entryPoints);
  for (const input of Object.values(metafile.inputs)) {
    for (const i of input.imports) if (i.kind === 'dynamic-import' && !i.external && i.path.startsWith('src/')) found.add(i.path);
  }
  return found;
}

/**
 * The plugin, from a first build's metafile. `roots` start the chat path (the entry module itself must not be one:
 * its top-level await would then run inside the shared chunk).
 */
export function chatChunk(metafile, { entryPoints, roots, cwd = process.cwd() }) {
  const hot = staticClosure(metafile, roots);
  const targets = entries(metafile, entryPoints);
  return {
    name: 'chat-chunk',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${HUB}$`) }, () => ({ path: HUB, namespace: HUB }));
      b.onLoad({ filter: /.*/, namespace: HUB }, () => ({
        loader: 'js',
        resolveDir: cwd,
        contents: hot.map((file) => `import ${JSON.stringify(resolve(cwd, file))};`).join('\n'),
      }));
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const file = args.path.slice(cwd.length + 1);
        if (!targets.has(file)) return undefined;
        // Appended, so the source map's lines stay right.
        return { loader: 'ts', contents: `${await readFile(args.path, 'utf8')}\nimport '${HUB}';\n` };
      });
    },
  };
}
