/**
 * Column widths from the terminal width, as k9s does: every column starts at its minimum,
 * the least important ones go when even the minimums do not fit, and the room left grows
 * the others toward the width their content wants, one character each in turn. Pure.
 */

export interface ColumnSpec<K extends string = string> {
  key: K;
  title: string;
  /** Never narrower than this (the title fits). */
  min: number;
  /** What the content wants; never wider than this. */
  ideal: number;
  /** 0 = always shown; higher numbers are dropped first on narrow terminals. */
  drop: number;
  align: "left" | "right";
  /** Shown only in the room left once every other column has its ideal width (a reason). */
  optional?: boolean;
}

export interface PlacedColumn<K extends string = string> extends ColumnSpec<K> {
  width: number;
}

/**
 * Widths for `total` columns of text with one space between columns and `lead` characters
 * before the first (the selection marker). Columns keep their order.
 */
export function layoutColumns<K extends string>(
  specs: readonly ColumnSpec<K>[],
  total: number,
  lead = 1,
): PlacedColumn<K>[] {
  const required = specs.filter((s) => !s.optional);
  let placed = grow(required, total, lead);
  for (const extra of specs.filter((s) => s.optional)) {
    const left = total - lead - placed.reduce((n, c) => n + c.width + 1, 0);
    const full = placed.every((c) => c.width >= c.ideal);
    if (!full || left < extra.min) break;
    placed = [...placed, { ...extra, width: Math.min(left, Math.max(extra.min, extra.ideal)) }];
  }
  // Back in the specs' order.
  return specs.flatMap((s) => placed.filter((c) => c.key === s.key));
}

function grow<K extends string>(
  specs: readonly ColumnSpec<K>[],
  total: number,
  lead: number,
): PlacedColumn<K>[] {
  let shown = specs.map((s) => ({ ...s, min: Math.max(1, s.min), ideal: Math.max(s.min, s.ideal) }));
  const used = (cols: readonly { min: number }[]) =>
    lead + cols.reduce((n, c) => n + c.min, 0) + Math.max(0, cols.length - 1);
  while (used(shown) > total) {
    const worst = shown.reduce<(typeof shown)[number] | undefined>(
      (w, c) => (c.drop > 0 && (w === undefined || c.drop > w.drop) ? c : w),
      undefined,
    );
    if (worst === undefined) break;
    shown = shown.filter((c) => c !== worst);
  }
  const placed = shown.map((c) => ({ ...c, width: c.min }));
  let room = total - used(shown);
  // One character per wanting column per round: bounded by `room`.
  while (room > 0) {
    const wanting = placed.filter((c) => c.width < c.ideal);
    if (wanting.length === 0) break;
    for (const c of wanting) {
      if (room <= 0) break;
      c.width += 1;
      room -= 1;
    }
  }
  return placed;
}
