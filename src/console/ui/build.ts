/**
 * Bundles the console's UI (app.js: Preact + htm views, uPlot charts, and
 * their CSS) with esbuild into one script and one stylesheet, minified, in
 * memory. scripts/build-binary.ts embeds the result in the executable; run
 * from source, `kb console` builds it when it starts (ui-assets.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface UiBundle {
  js: string;
  css: string;
}

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'app.js');

export async function buildUi(): Promise<UiBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    outdir: 'console-ui',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const output = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: output('.js'), css: output('.css') };
}

/** The bundle's size as a browser downloads it (gzip), in bytes. */
export function gzippedSize(bundle: UiBundle): number {
  return gzipSync(bundle.js).length + gzipSync(bundle.css).length;
}
