/** A unified diff (a result's patch.content) as hunks of added / removed / context lines. */
import { parsePatch } from "diff";

export function Diff({ text }: { text: string }) {
  const files = parsePatch(text);
  if (files.every((f) => f.hunks.length === 0)) return <pre className="json">{text}</pre>;
  return (
    <div className="diff" data-testid="diff">
      {files.map((f) => (
        <figure key={`${f.oldFileName}-${f.newFileName}`}>
          <figcaption>
            <code>{f.newFileName ?? f.oldFileName}</code>
          </figcaption>
          <table>
            <tbody>
              {f.hunks.flatMap((h) => [
                <tr key={`h${h.oldStart}-${h.newStart}`} className="hunk">
                  <td colSpan={2}>{`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`}</td>
                </tr>,
                ...h.lines.map((line, i) => {
                  const kind = line[0] === "+" ? "add" : line[0] === "-" ? "del" : "ctx";
                  return (
                    // biome-ignore lint/suspicious/noArrayIndexKey: lines of a hunk have no identity but their place
                    <tr key={`${h.oldStart}-${i}`} className={kind}>
                      <td className="sign">{line[0]}</td>
                      <td>
                        <code>{line.slice(1)}</code>
                      </td>
                    </tr>
                  );
                }),
              ])}
            </tbody>
          </table>
        </figure>
      ))}
    </div>
  );
}
