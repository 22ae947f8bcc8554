/** A small SVG chart of p99 (and p50, dashed) against viewers, log-log, one line per series. */

export interface Series {
  name: string;
  color: string;
  points: { viewers: number; p50: number; p99: number }[];
}

const W = 840;
const H = 420;
const M = { left: 70, right: 250, top: 40, bottom: 50 };

export function latencyChart(title: string, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p.viewers));
  const ys = series
    .flatMap((s) => s.points.flatMap((p) => [p.p50, p.p99]))
    .filter((y) => y > 0 && Number.isFinite(y));
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const px = (v: number) =>
    M.left + ((Math.log10(v) - x0) / Math.max(1e-9, x1 - x0)) * (W - M.left - M.right);
  const py = (v: number) =>
    H -
    M.bottom -
    ((Math.log10(Math.max(v, 10 ** y0)) - y0) / Math.max(1e-9, y1 - y0)) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="600">${escape(title)}</text>`,
  ];
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${10 ** e} ms</text>`,
    );
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
    const x = px(v);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`,
      `<text x="${x}" y="${H - M.bottom + 18}" text-anchor="middle">${v}</text>`,
    );
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">viewers</text>`);
  series.forEach((s, i) => {
    const line = (key: "p50" | "p99") =>
      s.points.map((p) => `${px(p.viewers).toFixed(1)},${py(p[key]).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${line("p99")}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`);
    out.push(
      `<polyline points="${line("p50")}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    );
    for (const p of s.points)
      out.push(`<circle cx="${px(p.viewers)}" cy="${py(p.p99)}" r="3" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 20;
    out.push(
      `<line x1="${W - M.right + 16}" x2="${W - M.right + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"/>`,
      `<text x="${W - M.right + 46}" y="${ly + 4}">${escape(s.name)}</text>`,
    );
  });
  const ly = M.top + 10 + series.length * 20 + 10;
  out.push(`<text x="${W - M.right + 16}" y="${ly}" fill="#555">solid: p99, dashed: p50</text>`, `</svg>`);
  return out.join("\n");
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
