/**
 * Ollama lists models with their tag ("llama3:latest") while users write "llama3"; a
 * name without a tag means ":latest". A registry host's port ("host:5000/m") is not a tag.
 */
export function withTag(name: string): string {
  return name.lastIndexOf(":") > name.lastIndexOf("/") ? name : `${name}:latest`;
}

export function hasModel(models: readonly string[], wanted: string): boolean {
  const target = withTag(wanted);
  return models.some((m) => withTag(m) === target);
}
