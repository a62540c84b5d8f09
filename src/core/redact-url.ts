/**
 * URLs with their credentials masked, for messages, logs and APIs: credentials never leave
 * the process. Any userinfo is masked whole: `redis://user:pass@h` and `nats://token@h`
 * both become `…://***@h`, since a lone NATS user part is a token.
 */

/** `scheme://userinfo@` (or a bare `userinfo@host` in a NATS list) up to the host. */
const USERINFO_RE = /^([a-z][a-z0-9+.-]*:\/\/)?[^@/\s]*@/i;
/** The same inside free text: only after a scheme, so e-mail-like words are left alone. */
const USERINFO_IN_TEXT_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi;

function redactOne(url: string): string {
  return url.replace(USERINFO_RE, (_m, scheme: string | undefined) => `${scheme ?? ""}***@`);
}

/** One URL or a comma-separated list (NATS_URL), each part with its credentials masked. */
export function redactUrl(url: string): string {
  return url
    .split(",")
    .map((part) => {
      const lead = part.length - part.trimStart().length;
      return part.slice(0, lead) + redactOne(part.slice(lead));
    })
    .join(",");
}

/** Masks the credentials of every URL in a message (error texts from libraries, causes). */
export function redactUrlsIn(text: string): string {
  return text.replace(USERINFO_IN_TEXT_RE, (_m, scheme: string) => `${scheme}***@`);
}
