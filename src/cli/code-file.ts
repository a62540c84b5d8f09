/**
 * Reads the source file `cortex submit code --file` sends to the model, refusing what
 * would only fail later: a missing file, a directory, binary content, or a file larger
 * than the gateway accepts (CORTEX_MAX_CONTEXT_BYTES).
 */
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { CortexError, ErrorCode } from "../core/errors.js";

/** Languages by extension, so the model is told what it edits when --language is not given. */
const LANGUAGES: Record<string, string> = {
  ".c": "c",
  ".cc": "cpp",
  ".cpp": "cpp",
  ".cs": "csharp",
  ".go": "go",
  ".h": "c",
  ".hpp": "cpp",
  ".java": "java",
  ".js": "javascript",
  ".jsx": "javascript",
  ".kt": "kotlin",
  ".mjs": "javascript",
  ".php": "php",
  ".py": "python",
  ".rb": "ruby",
  ".rs": "rust",
  ".sh": "bash",
  ".sql": "sql",
  ".swift": "swift",
  ".ts": "typescript",
  ".tsx": "typescript",
};

export function languageOf(path: string): string | undefined {
  return LANGUAGES[extname(path).toLowerCase()];
}

/** ignoreBOM keeps a BOM in the text, so the original the patch is built from matches the file. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export async function readCodeFile(path: string, maxBytes: number): Promise<string> {
  const bad = (message: string, hint: string, cause?: unknown) =>
    new CortexError(ErrorCode.InvalidArgument, message, {
      hint,
      details: { field: "file", path },
      ...(cause === undefined ? {} : { cause }),
    });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw bad(`file not found: ${path}`, "Check the path given to --file.", cause);
    if (code === "EACCES")
      throw bad(`cannot read ${path}: permission denied`, "Check the file's permissions.", cause);
    throw bad(`cannot open ${path}: ${code ?? String(cause)}`, "Check the path given to --file.", cause);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw bad(`${path} is not a regular file`, "Give --file one source file (not a directory).");
    if (stat.size > maxBytes) {
      throw bad(
        `${path} is ${stat.size} bytes, over the limit of ${maxBytes} bytes`,
        "Send a smaller file (or the relevant part of it), or raise CORTEX_MAX_CONTEXT_BYTES on the stack.",
      );
    }
    const bytes = await handle.readFile();
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (cause) {
      throw bad(`${path} is not UTF-8 text (binary file?)`, "Give --file a source file.", cause);
    }
    if (text.includes("\u0000"))
      throw bad(`${path} looks binary (it contains NUL bytes)`, "Give --file a source file.");
    return text;
  } finally {
    await handle.close();
  }
}
