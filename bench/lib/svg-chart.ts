/**
 * A line chart as a standalone SVG document, for a person to look at next
 * to a scaling curve's JSON: `lineChart({ title, xLabel, yLabel, series })`
 * plots each series' points (x ascending) on a shared log-2 x axis (the
 * curves step by powers of two and more) and a linear y axis from 0, with
 * the x values as ticks, five y ticks, and a legend. Text is escaped;
 * nothing else is read or written.
 */

export interface Series {
  name: string;
  points: [x: number, y: number][];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const width = 640;
const height = 400;
const margin = { left: 70, right: 160, top: 40, bottom: 50 };
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const label = (n: number) => (Math.abs(n) >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toPrecision(2));

export function lineChart(chart: Chart): string {
  const xs = [...new Set(chart.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const yMax = Math.max(...chart.series.flatMap((s) => s.points.map(([, y]) => y)), 0) * 1.1 || 1;
  const [xMin, xMaxLog] = [Math.log2(Math.max(xs[0] ?? 1, 1)), Math.log2(Math.max(xs.at(-1) ?? 2, 2))];
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const px = (x: number) => margin.left + (xMaxLog === xMin ? plotW / 2 : ((Math.log2(Math.max(x, 1)) - xMin) / (xMaxLog - xMin)) * plotW);
  const py = (y: number) => margin.top + plotH - (y / yMax) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(chart.title)}</text>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="black"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text x="15" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 15 ${margin.top + plotH / 2})">${escape(chart.yLabel)}</text>`,
  ];
  for (const x of xs) out.push(`<text x="${px(x)}" y="${margin.top + plotH + 18}" text-anchor="middle">${label(x)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    out.push(`<line x1="${margin.left}" y1="${py(y)}" x2="${margin.left + plotW}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${margin.left - 6}" y="${py(y) + 4}" text-anchor="end">${label(y)}</text>`);
  }
  chart.series.forEach((s, i) => {
    const colour = colours[i % colours.length];
    const points = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const p of points) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${colour}"/>`);
    const ly = margin.top + 10 + i * 18;
    out.push(`<line x1="${width - margin.right + 10}" y1="${ly}" x2="${width - margin.right + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${width - margin.right + 35}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
