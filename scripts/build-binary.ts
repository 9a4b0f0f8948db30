/**
 * `npm run build:binary`: builds dist/kb, one executable that runs every kb
 * command (the broker included) with no Node and no node_modules on the
 * machine. Node's Single Executable Applications, offline:
 *   1. esbuild bundles src/cli/single-executable.ts and its dependencies
 *      into one CommonJS file; msgpackr's optional native addon
 *      (msgpackr-extract) is replaced by an empty module, so msgpackr runs
 *      in pure JS;
 *   2. the pinned Node 24 (the one running this script) turns the bundle
 *      into a SEA blob, with V8's code cache for faster start, with
 *      the native addons of src/protocol/native-addons.ts for this
 *      platform as assets (@node-rs/crc32's and @napi-rs/snappy's; that
 *      module loads them; a missing one is a warning here and the binary
 *      does that work in portable JS), and with `kb console`'s UI bundle
 *      (src/console/ui/build.ts) as the assets
 *      src/console/server/ui-assets.ts reads; the UI's gzipped size is
 *      printed;
 *   3. a copy of that same Node binary is stripped of symbols and the blob
 *      is injected into it with postject's CLI.
 * Intermediate files go to a temporary directory; only dist/kb is written.
 * The tools' own chatter (Node's "Wrote ... blob", strip's notes, the
 * "Can't find string offset for section name '.note.100'" warnings of
 * postject's ELF library about the note sections it adds) is shown only
 * when a step fails; on success it prints the UI's size and the result.
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { addonFile, nativeAddons } from '../src/protocol/native-addons.ts';
import { buildUi, gzippedSize } from '../src/console/ui/build.ts';
import { seaAssets as consoleAssets } from '../src/console/server/ui-assets.ts';

const postjectCli = createRequire(import.meta.url).resolve('postject/dist/cli.js');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.join(root, 'dist/kb');
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Resolves native-addon packages to an empty module: their users fall back to JS. */
const withoutNativeAddons: Plugin = {
  name: 'without-native-addons',
  setup(b) {
    b.onResolve({ filter: /^msgpackr-extract$/ }, (args) => ({ path: args.path, namespace: 'no-native-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'no-native-addon' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

/** Runs a build tool, its output shown only when it fails. */
function quietly(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`${stdout ?? ''}${stderr ?? ''}`);
    throw err;
  }
}

async function main(): Promise<void> {
  if (process.versions.node.split('.')[0] !== '24') throw new Error(`run this on the pinned Node 24 (npm run build:binary), not ${process.version}`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'kb-binary-'));
  try {
    const bundle = path.join(work, 'kb.cjs');
    await build({
      entryPoints: [path.join(root, 'src/cli/single-executable.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: true,
      keepNames: true,
      legalComments: 'none',
      logLevel: 'warning',
      plugins: [withoutNativeAddons],
      // native-addons.ts uses import.meta.url only outside the single executable.
      logOverride: { 'empty-import-meta': 'silent' },
    });

    const blob = path.join(work, 'kb.blob');
    const seaConfig = path.join(work, 'sea-config.json');
    const assets: Record<string, string> = {};
    for (const addon of Object.values(nativeAddons)) {
      const file = addonFile(addon);
      if (file) assets[addon.asset] = file;
      else console.warn(`warning: no ${addon.package} addon for this platform in node_modules; the binary will do its work in portable JS`);
    }
    const ui = await buildUi();
    const [uiJs, uiCss] = [path.join(work, consoleAssets.js), path.join(work, consoleAssets.css)];
    await writeFile(uiJs, ui.js);
    await writeFile(uiCss, ui.css);
    console.log(`console UI: ${(gzippedSize(ui) / 1024).toFixed(1)} KiB gzipped`);
    Object.assign(assets, { [consoleAssets.js]: uiJs, [consoleAssets.css]: uiCss });
    await writeFile(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }));
    quietly(process.execPath, ['--experimental-sea-config', seaConfig]);

    const executable = path.join(work, 'kb');
    await copyFile(process.execPath, executable);
    quietly('strip', ['--strip-all', executable]);
    quietly(process.execPath, [postjectCli, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', seaFuse]);
    await chmod(executable, 0o755);
    await mkdir(path.dirname(output), { recursive: true });
    await rm(output, { force: true });
    await rename(executable, output).catch(() => copyFile(executable, output));
    await chmod(output, 0o755);
    console.log(`built ${path.relative(process.cwd(), output)} (${((await stat(output)).size / 1024 / 1024).toFixed(1)} MiB)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
