/** Rows of equal keys as a Markdown table, the columns padded to their widest cell. */
export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]);
  const text = rows.map((row) => headers.map((header) => String(row[header])));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...text.map((cells) => cells[column].length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [
    line(headers),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...text.map(line),
  ].join('\n');
}
