/** The query benchmark's report: latency against rows per question, as a table, a chart and JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extrapolateNaive, type ScaleResult } from './query-scale.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const rowsLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n.toLocaleString('en-US'));

export function queryMarkdown(results: ScaleResult[], context: string): string {
  const scales = results.map((r) => `${rowsLabel(r.scale.rows)} / ${r.scale.days} d`);
  const out = [
    `## logpipe bench-queries — ${context}`,
    '',
    'p50 / p95 ms of each question, each run on a new connection after a warm-up, planning included; access path from EXPLAIN. Naive: the same question on the seed\'s JSONB table, measured (p50) or *extrapolated* linearly in rows from the largest measured size.',
    '',
    `| question | ${scales.map((s) => `logpipe ${s}`).join(' | ')} | ${scales.map((s) => `naive ${s}`).join(' | ')} |`,
    `|---|${scales.map(() => '---:').join('|')}|${scales.map(() => '---:').join('|')}|`,
  ];
  for (const q of results[0]?.logpipe ?? []) {
    const lp = results.map((r) => {
      const t = r.logpipe.find((x) => x.id === q.id)!;
      return `${ms(t.p50)} / ${ms(t.p95)} (${t.access})`;
    });
    const nv = results.map((r) => {
      const t = r.naive?.find((x) => x.id === q.id);
      if (t) return `${ms(t.p50)} (${t.access})`;
      const e = extrapolateNaive(results, q.id, r.scale.rows);
      return e === null ? '–' : `*~${ms(e)}*`;
    });
    out.push(`| ${q.id.toUpperCase()} ${q.title} | ${lp.join(' | ')} | ${nv.join(' | ')} |`);
  }
  out.push('', '| scale | ingest (logpipe run) | bytes/row after ingest | bytes/row after `logpipe maintain` |', '|---|---:|---:|---:|');
  for (const r of results) {
    const rate = Number.isNaN(r.ingestSeconds) ? '(reused)' : `${r.ingestSeconds.toFixed(0)} s, ${Math.round(r.scale.rows / r.ingestSeconds).toLocaleString('en-US')} rows/s`;
    out.push(`| ${rowsLabel(r.scale.rows)} over ${r.scale.days} day(s) | ${rate} | ${Number.isNaN(r.bytesPerRowIngested) ? '–' : r.bytesPerRowIngested.toFixed(1)} | ${r.bytesPerRow.toFixed(1)} |`);
  }
  out.push('', '![latency against rows](queries-chart.svg)', '');
  return out.join('\n');
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** Latency (log) against rows (log): a solid line per question for logpipe, dashed for naive. */
export function queryChart(results: ScaleResult[], width = 760, height = 420): string {
  const pad = { left: 70, right: 230, top: 20, bottom: 44 };
  const xs = results.map((r) => r.scale.rows);
  const all = results.flatMap((r) => [
    ...r.logpipe.map((q) => q.p50),
    ...r.logpipe.map((q) => r.naive?.find((n) => n.id === q.id)?.p50 ?? extrapolateNaive(results, q.id, r.scale.rows) ?? q.p50),
  ]);
  const [minX, maxX] = [Math.min(...xs) / 1.5, Math.max(...xs) * 1.5];
  const [minY, maxY] = [Math.max(0.01, Math.min(...all) / 2), Math.max(...all) * 2];
  const lx = (v: number) => pad.left + ((Math.log10(v) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX))) * (width - pad.left - pad.right);
  const ly = (v: number) => height - pad.bottom - ((Math.log10(v) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))) * (height - pad.top - pad.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="black"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="black"/>`,
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 8}" text-anchor="middle">rows (log)</text>`,
    `<text x="14" y="${height / 2}" transform="rotate(-90 14 ${height / 2})" text-anchor="middle">p50 ms (log)</text>`,
  ];
  for (const x of xs) parts.push(`<text x="${lx(x)}" y="${height - pad.bottom + 16}" text-anchor="middle">${rowsLabel(x)}</text>`);
  for (let e = Math.ceil(Math.log10(minY)); e <= Math.floor(Math.log10(maxY)); e++) {
    const v = 10 ** e;
    parts.push(`<line x1="${pad.left - 4}" y1="${ly(v)}" x2="${width - pad.right}" y2="${ly(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${pad.left - 8}" y="${ly(v) + 4}" text-anchor="end">${v >= 1 ? v : v.toFixed(2)}</text>`);
  }
  (results[0]?.logpipe ?? []).forEach((q, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const lp = results.map((r) => `${lx(r.scale.rows).toFixed(1)},${ly(r.logpipe.find((x) => x.id === q.id)!.p50).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${lp}"/>`);
    const nv = results
      .map((r) => [r.scale.rows, r.naive?.find((x) => x.id === q.id)?.p50 ?? extrapolateNaive(results, q.id, r.scale.rows)] as const)
      .filter(([, v]) => v !== null)
      .map(([x, v]) => `${lx(x).toFixed(1)},${ly(v!).toFixed(1)}`)
      .join(' ');
    if (nv) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5,4" points="${nv}"/>`);
    const y = pad.top + 10 + i * 18;
    parts.push(`<line x1="${width - pad.right + 12}" y1="${y - 4}" x2="${width - pad.right + 28}" y2="${y - 4}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<text x="${width - pad.right + 34}" y="${y}">${q.id.toUpperCase()} (dashed: naive)</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function writeQueryReport(dir: string, results: ScaleResult[], context: string): { json: string; markdown: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'queries-latest.json'), markdown: join(dir, 'queries-report.md'), svg: join(dir, 'queries-chart.svg') };
  writeFileSync(files.json, JSON.stringify({ context, results }, null, 2) + '\n');
  writeFileSync(files.markdown, queryMarkdown(results, context));
  writeFileSync(files.svg, queryChart(results));
  return files;
}
