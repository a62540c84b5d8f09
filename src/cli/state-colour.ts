import ansis from "ansis";

/** Job states in colour for terminals (ansis drops colour when stdout is not a TTY). */
export function colourState(state: string): string {
  switch (state) {
    case "SUCCEEDED":
      return ansis.green(state);
    case "FAILED":
    case "TIMEOUT":
    case "DENIED":
      return ansis.red(state);
    case "CANCELLED":
      return ansis.yellow(state);
    case "RUNNING":
      return ansis.cyan(state);
    case "AWAITING_APPROVAL":
      return ansis.magenta(state);
    default:
      return ansis.dim(state);
  }
}
