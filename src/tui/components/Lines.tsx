import { Box, Text } from "ink";
import type { Line } from "../view/line.js";

/** Paints pre-built lines; each is already clipped to the width, truncation is a safety net. */
export function Lines({ lines }: { lines: readonly Line[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        // Lines have no identity beyond their position on screen.
        // biome-ignore lint/suspicious/noArrayIndexKey: positional rows
        <Text key={i} wrap="truncate-end">
          {line.length === 0
            ? " "
            : line.map((s, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: positional segments
                <Text key={j} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
                  {s.text}
                </Text>
              ))}
        </Text>
      ))}
    </Box>
  );
}
