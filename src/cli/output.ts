/**
 * Rendering data for people: a table (cli-table3 with colour when stdout is
 * a TTY and NO_COLOR is unset; a rule under the header, none between rows)
 * or plain, stable, space-aligned columns
 * otherwise, which scripts can cut and awk. Machine-readable output is --json
 * (oclif's enableJsonFlag), not this.
 */
import Table from 'cli-table3';
import chalk from 'chalk';
import { isZeroUuid } from '../protocol/primitives.ts';

export function decorated(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

export function renderTable(headers: string[], rows: (string | number | bigint | null)[][]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))));
  if (decorated()) {
    const table = new Table({ head: headers.map((h) => chalk.bold(h)), style: { head: [], border: [] } });
    for (const row of cells) table.push(row);
    // cli-table3 rules off every row; keep the one under the header (the third line) only.
    return table
      .toString()
      .split('\n')
      .filter((line, i) => i <= 2 || !line.startsWith('├'))
      .join('\n');
  }
  const widths = headers.map((h, i) => cells.reduce((widest, row) => Math.max(widest, row[i].length), h.length));
  const line = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

/** A topic id as hex, or null when the broker sent none (all zeros, as Metadata before v10 does). */
export function topicIdText(id: Buffer): string | null {
  return isZeroUuid(id) ? null : id.toString('hex');
}

/** A byte count for people: "0 B", "512 B", "1.5 KiB", "3.2 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
