// Image references as Docker reads them: whether one carries a tag, and its short form.

/** Whether an image reference carries a tag or a digest (a colon after the last slash). */
export function hasTag(ref: string): boolean {
  return ref.includes('@') || ref.lastIndexOf(':') > ref.lastIndexOf('/');
}

/** A reference without Docker Hub's default prefixes, as Docker shows and resolves a bare name. */
export function familiarName(ref: string): string {
  return ref.replace(/^(?:docker\.io|index\.docker\.io)\/(?:library\/(?=[^/]+$))?/, '');
}
