// Builds the dashboard's page: app.js with the task list's modules bundled into one module by
// esbuild, written into the page (dist/index.html) in place of the page's own module tag, so the
// task list needs no request before its code runs. The server allows exactly that script by its
// hash in the content security policy (Ui/Dashboard.cs); the other pages' modules load from /ui/
// when their route is first opened.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const assets = new URL('../Ui/assets/', import.meta.url);
const dist = new URL('./dist/', import.meta.url);
const moduleTag = '<script type="module" src="/ui/app.js"></script>';

const bundled = await build({
  entryPoints: [new URL('app.js', assets).pathname],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  external: ['/ui/*'],
  write: false,
  logLevel: 'error',
});
const code = bundled.outputFiles[0].text.trimEnd();

// Inside a script element, these would end it early or change how the HTML parser reads it.
const unsafe = /<\/script|<!--|<script/i.exec(code);
if (unsafe) {
  throw new Error(`the bundled dashboard module contains "${unsafe[0]}" at offset ${unsafe.index}: it cannot be written into index.html`);
}

const page = await readFile(new URL('index.html', assets), 'utf8');
const at = page.indexOf(moduleTag);
if (at < 0 || page.indexOf(moduleTag, at + 1) >= 0) {
  throw new Error(`Ui/assets/index.html must contain ${moduleTag} exactly once: the bundle takes its place`);
}

await mkdir(dist, { recursive: true });
await writeFile(new URL('index.html', dist), page.slice(0, at) + `<script type="module">${code}</script>` + page.slice(at + moduleTag.length));
