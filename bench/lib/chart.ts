/**
 * A horizontal bar chart as SVG: one group per benchmark, bars for p50 and p99 latency in ms.
 * `logScale` (default false) fits milliseconds and seconds on one chart.
 */
export function latencyChartSvg(
  rows: { label: string; p50: number; p99: number }[],
  title: string,
  options: { logScale?: boolean } = {},
): string {
  const barHeight = 16;
  const gap = 14;
  const left = 300;
  const width = 900;
  const toAxis = (ms: number) => (options.logScale ? Math.log10(1 + Math.max(0, ms)) : ms);
  const max = Math.max(1, ...rows.map((r) => toAxis(r.p99)));
  const scale = (width - left - 110) / max;
  const height = 50 + rows.length * (2 * barHeight + gap);
  const bars = rows
    .map((row, i) => {
      const y = 40 + i * (2 * barHeight + gap);
      const bar = (value: number, dy: number, colour: string, name: string) => {
        const length = Math.max(1, toAxis(value) * scale);
        return (
          `<rect x="${left}" y="${y + dy}" width="${length}" height="${barHeight - 2}" fill="${colour}"/>` +
          `<text x="${left + length + 6}" y="${y + dy + 12}" font-size="12">${name} ${value} ms</text>`
        );
      };
      return (
        `<text x="${left - 8}" y="${y + 20}" font-size="13" text-anchor="end">${escapeXml(row.label)}</text>` +
        bar(row.p50, 0, '#4c78a8', 'p50') +
        bar(row.p99, barHeight, '#f58518', 'p99')
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="22" font-size="15" text-anchor="middle">${escapeXml(title)}</text>
${bars}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
