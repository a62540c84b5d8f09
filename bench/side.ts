/** The clients a run measures: cortex's stream and unary clients, and BullMQ. */
export type Side = "stream" | "unary" | "bullmq";

export const sideLabel = (side: Side): string => (side === "bullmq" ? "bullmq" : `cortex ${side}`);
