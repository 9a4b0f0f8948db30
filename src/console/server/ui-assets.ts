/**
 * The console UI's files as served: the page (a fixed HTML shell that
 * loads one script and one stylesheet, no inline script, so the CSP can
 * forbid it), the script and the stylesheet, each with its gzipped form.
 * In the single executable the bundle is an embedded SEA asset
 * (scripts/build-binary.ts puts it there); run from source, it is built
 * now (ui/build.ts, esbuild from node_modules).
 */
import sea from 'node:sea';
import { gzipSync } from 'node:zlib';

export const seaAssets = { js: 'console-ui.js', css: 'console-ui.css' } as const;

export interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kb console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui.css">
<script defer src="/ui.js"></script>
</head>
<body><noscript>kb console needs JavaScript.</noscript><div id="app"></div></body>
</html>
`;

function asset(type: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  return { type, body, gzipped: gzipSync(body) };
}

/** Path -> asset, for `/`, `/ui.js` and `/ui.css`. */
export async function uiAssets(): Promise<Map<string, Asset>> {
  let bundle: { js: string; css: string };
  if (sea.isSea()) bundle = { js: sea.getAsset(seaAssets.js, 'utf8'), css: sea.getAsset(seaAssets.css, 'utf8') };
  else {
    // A variable specifier: the executable's bundler must not pull esbuild in (this branch never runs there).
    const builder = '../ui/build.ts';
    bundle = await ((await import(builder)) as typeof import('../ui/build.ts')).buildUi();
  }
  return new Map([
    ['/', asset('text/html; charset=utf-8', page)],
    ['/ui.js', asset('text/javascript; charset=utf-8', bundle.js)],
    ['/ui.css', asset('text/css; charset=utf-8', bundle.css)],
  ]);
}
