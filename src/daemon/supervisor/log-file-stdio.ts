import type { Options } from "execa";

/**
 * stdio for a process that writes to a log file and may outlive its parent: stdin ignored,
 * stdout and stderr on the log's open descriptor itself, so no pipe runs through the parent.
 * execa hands any descriptor number to the process as is; its types only name 1-9.
 */
export function logFileStdio(fd: number): Pick<Options, "stdin" | "stdout" | "stderr"> {
  const log = fd as Options["stdout"];
  return { stdin: "ignore", stdout: log, stderr: log };
}
