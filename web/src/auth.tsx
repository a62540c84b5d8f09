/** The API key prompt: opens on the first 401, keeps the key in sessionStorage for this tab. */
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { type AuthNeeded, onAuthNeeded, storeKey } from "./api";
import { liveStream } from "./stream";

export function KeyPrompt() {
  const [need, setNeed] = useState<AuthNeeded | undefined>();
  const [value, setValue] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const queries = useQueryClient();

  useEffect(
    () =>
      onAuthNeeded((n) => {
        liveStream.pause();
        setNeed((prev) => prev ?? n);
      }),
    [],
  );
  useEffect(() => {
    if (need) input.current?.focus();
  }, [need]);

  if (!need) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim() === "") return;
    storeKey(value.trim());
    setValue("");
    setNeed(undefined);
    liveStream.restart();
    void queries.invalidateQueries();
  };
  return (
    <div className="overlay">
      <form className="key-prompt" aria-labelledby="key-title" onSubmit={submit}>
        <h2 id="key-title">API key required</h2>
        {need.wrong ? (
          <p className="error" role="alert">
            That key was not accepted ({need.message}). Check it and try again.
          </p>
        ) : (
          <p>This stack has API keys on. Enter a key; it is kept only in this tab (sessionStorage).</p>
        )}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit">Use key</button>
      </form>
    </div>
  );
}
