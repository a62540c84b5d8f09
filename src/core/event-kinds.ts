/**
 * The `kind` of a JobEvent as it goes over the wire (gRPC streams, WebSocket, sys.job.event):
 * named once, so the gateway that sends them and the clients that read them agree.
 */
export const EventKind = {
  /** SubmitAndWatch: the job was accepted (first event of the stream). */
  Submitted: "submitted",
  /** SubmitAndWatchMany: one request was refused (error_code, reason, hint). */
  Rejected: "rejected",
  /** A slow watcher lost events; `dropped` counts them. */
  Dropped: "dropped",
} as const;
